using System.Net;
using System.Text;
using System.Text.Json;

namespace BucketGuard.IntegrationTests;

/// <summary>CloudTrail for the tests: LookupEvents, which no local emulator has, answered here in its recorded shape
/// (CloudTrail API Reference, LookupEvents); every other CloudTrail call (DescribeTrails, GetEventSelectors, CreateTrail)
/// goes on to moto as it came, signature and all.</summary>
public sealed class CloudTrailFake : IDisposable
{
    public const string Target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

    private readonly HttpListener listener;
    private readonly HttpClient moto = new();
    private readonly Task serving;

    public CloudTrailFake()
    {
        (listener, Endpoint) = LoopbackListener.Start();
        serving = Task.Run(ServeAsync);
    }

    /// <summary>For AWS_ENDPOINT_URL_CLOUDTRAIL.</summary>
    public string Endpoint { get; }

    /// <summary>The LookupEvents answer: {"Events":[...]}, events made by <see cref="Event"/>.</summary>
    public string Page { get; set; } = """{"Events":[]}""";

    /// <summary>Operations answered with 400 AccessDeniedException, as CloudTrail refuses a caller without the permission.</summary>
    public HashSet<string> Refused { get; } = [];

    /// <summary>The X-Amz-Target of every call, in order.</summary>
    public List<string?> Targets { get; } = [];

    /// <summary>One CloudTrail record of an S3 management call, as LookupEvents' CloudTrailEvent carries it.</summary>
    public static string Record(string account, string bucket, string eventName, string parameters, DateTimeOffset time, string id, string identity) =>
        $$"""{"eventVersion":"1.09","userIdentity":{{identity}},"eventTime":"{{time:yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2","requestParameters":{"bucketName":"{{bucket}}",{{parameters}} },"eventID":"{{id}}","recipientAccountId":"{{account}}","eventCategory":"Management"}""";

    /// <summary>One LookupEvents event around its record.</summary>
    public static string Event(string eventName, string record, DateTimeOffset time, string id) =>
        $$"""{"EventId":"{{id}}","EventName":"{{eventName}}","ReadOnly":"false","EventTime":{{time.ToUnixTimeSeconds()}},"EventSource":"s3.amazonaws.com","CloudTrailEvent":{{JsonSerializer.Serialize(record)}} }""";

    /// <summary>The userIdentity of a role's session.</summary>
    public static string AssumedRole(string roleArn)
    {
        var account = roleArn.Split(':')[4];
        var name = roleArn[(roleArn.LastIndexOf('/') + 1)..];
        return $$"""{"type":"AssumedRole","arn":"arn:aws:sts::{{account}}:assumed-role/{{name}}/s","accountId":"{{account}}","sessionContext":{"sessionIssuer":{"type":"Role","arn":"{{roleArn}}","accountId":"{{account}}"} } }""";
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            var target = context.Request.Headers["X-Amz-Target"];
            lock (Targets)
            {
                Targets.Add(target);
            }

            byte[] body;
            if (target is not null && Refused.Contains(target[Target.Length..]))
            {
                context.Response.StatusCode = 400;
                body = Encoding.UTF8.GetBytes("""{"__type":"AccessDeniedException","Message":"User is not authorized to perform: cloudtrail:GetEventSelectors"}""");
            }
            else if (target == Target + "LookupEvents")
            {
                body = Encoding.UTF8.GetBytes(Page);
            }
            else
            {
                using var forward = new HttpRequestMessage(HttpMethod.Post, MotoClient.Endpoint) { Content = new StreamContent(context.Request.InputStream) };
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
                foreach (var header in new[] { "X-Amz-Target", "Authorization", "X-Amz-Date", "X-Amz-Security-Token" })
                {
                    if (context.Request.Headers[header] is { } value)
                    {
                        forward.Headers.TryAddWithoutValidation(header, value);
                    }
                }

                using var answer = await moto.SendAsync(forward);
                context.Response.StatusCode = (int)answer.StatusCode;
                body = await answer.Content.ReadAsByteArrayAsync();
            }

            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        moto.Dispose();
        serving.Wait(TimeSpan.FromSeconds(5));
    }
}
