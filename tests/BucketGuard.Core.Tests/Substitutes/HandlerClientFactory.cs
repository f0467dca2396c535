using Amazon.Runtime;

namespace BucketGuard.Tests;

/// <summary>Gives an AWS client (a real AWSSDK one or a substitute) an HTTP fake through ClientConfig.HttpClientFactory,
/// the SDK's own hook, so tests use the clients' real constructors.</summary>
public sealed class HandlerClientFactory(HttpMessageHandler handler) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);
}
