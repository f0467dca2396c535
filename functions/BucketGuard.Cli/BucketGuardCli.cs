using System.CommandLine;
using System.Net.Http;
using Amazon.Runtime;

namespace BucketGuard.Cli;

/// <summary>The `bucketguard` command line: its commands, and the exit codes and error lines every command shares.
/// Exit code 0: done and nothing public; 1: something is public (`check`, `audit`) or not approved (`exempt --verify`);
/// 2: it could not do what was asked, usage errors included. A failure is one or two lines on standard error naming the
/// cause and what to check; the stack trace only with --debug.</summary>
public static class BucketGuardCli
{
    public const int CouldNotRun = 2;

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var debug = new Option<bool>("--debug") { Description = "On a failure, print the whole exception", Recursive = true };
        var root = new RootCommand("BucketGuard: finds public S3 buckets by AWS's own definition of public, and explains why.") { debug };
        root.Subcommands.Add(CheckCommand.Create(output, errors));
        root.Subcommands.Add(InvokeCommand.Create(output, errors));
        root.Subcommands.Add(ExemptCommand.Create(output, errors));
        root.Subcommands.Add(AuditCommand.Create(input, output, errors));
        root.SetAction(_ => Usage(errors, "a command is required (check, audit, exempt, invoke)"));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await errors.WriteLineAsync($"bucketguard: {error.Message}").ConfigureAwait(false);
            }

            await errors.WriteLineAsync("run `bucketguard --help` for the commands and their options").ConfigureAwait(false);
            return CouldNotRun;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = errors }, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure of a command ends in a line a person can act on and exit code 2.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            await errors.WriteLineAsync("bucketguard: " + Describe(ex)).ConfigureAwait(false);
            await errors.WriteLineAsync(parse.GetValue(debug) ? ex.ToString() : "(run again with --debug for the details)").ConfigureAwait(false);
            return CouldNotRun;
        }
    }

    private static int Usage(TextWriter errors, string problem)
    {
        errors.WriteLine($"bucketguard: {problem}");
        errors.WriteLine("run `bucketguard --help` for the commands and their options");
        return CouldNotRun;
    }

    /// <summary>An exception as one line: what failed, and what to check.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        AmazonServiceException service => $"AWS refused the request: {service.ErrorCode ?? service.StatusCode.ToString()} (HTTP {(int)service.StatusCode}){(string.IsNullOrEmpty(service.Message) ? string.Empty : ": " + OneLine(service.Message))}. Check the credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID) and that they are allowed this call.",
        AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) => $"no usable AWS credentials: {OneLine(client.Message)}. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        HttpRequestException http => $"could not reach the service: {OneLine(http.Message)}. Check the endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and the network.",
        AmazonClientException client when client.InnerException is HttpRequestException inner => Describe(inner),
        _ when ex.InnerException is HttpRequestException inner => Describe(inner),
        _ => $"{ex.GetType().Name}: {OneLine(ex.Message)}",
    };

    private static string OneLine(string text) => BucketGuard.Core.Untrusted.Clean(text.ReplaceLineEndings(" "), 400)!;
}
