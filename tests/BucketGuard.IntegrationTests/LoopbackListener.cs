using System.Net;
using System.Net.Sockets;

namespace BucketGuard.IntegrationTests;

/// <summary>Test tooling: an HttpListener on 127.0.0.1 at a port the system says is free. Another process may take the
/// port between the probe and the listener, so it tries a few ports (a random port from a range collided in CI).</summary>
public static class LoopbackListener
{
    /// <returns>The started listener and its base address, "http://127.0.0.1:PORT".</returns>
    public static (HttpListener Listener, string Endpoint) Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var endpoint = $"http://127.0.0.1:{port}";
            var listener = new HttpListener();
            listener.Prefixes.Add(endpoint + "/");
            try
            {
                listener.Start();
                return (listener, endpoint);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }
}
