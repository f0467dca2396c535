using System.CommandLine;
using Amazon.Runtime;

namespace BucketGuard.Cli;

/// <summary>The `bucketguard` command line: its commands, and the exit codes and error lines every command shares.
/// Exit code 0: done and nothing public; 1: something is public (`check`, `audit`) or not approved (`exempt --verify`);
/// 2: it could not do what was asked, usage errors included. A failure is one or two lines on standard error naming the
/// cause and what to check; the stack trace only with --debug.</summary>
public static class BucketGuardCli
{
    public const int CouldNotRun = 2;

    /// <summary>`--html FILE`: writes the page and says where on standard error.</summary>
    /// <returns>False (said as "bucketguard COMMAND: ...") when the file could not be written.</returns>
    public static async Task<bool> WriteHtmlAsync(string file, string page, string command, TextWriter errors, CancellationToken cancellationToken)
    {
        try
        {
            await File.WriteAllTextAsync(file, page, cancellationToken).ConfigureAwait(false);
            await errors.WriteLineAsync($"HTML report written to {file}").ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"bucketguard {command}: the HTML report could not be written to {file}: {ex.Message}").ConfigureAwait(false);
            return false;
        }
    }

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        var debug = new Option<bool>("--debug") { Description = "On a failure, print the whole exception", Recursive = true };
        var profile = new Option<string?>("--profile") { Description = "Use this profile from the AWS config and credentials files, SSO profiles included (AWS_PROFILE)", Recursive = true };
        var region = new Option<string?>("--region") { Description = "The AWS Region (AWS_REGION)", Recursive = true };
        var endpoint = new Option<string?>("--endpoint-url") { Description = "Send every AWS request to this URL (AWS_ENDPOINT_URL; AWS_ENDPOINT_URL_<SERVICE> still wins per service)", Recursive = true };
        endpoint.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                result.AddError($"--endpoint-url must be an http or https URL, not \"{url}\"");
            }
        });
        var root = new RootCommand("BucketGuard: finds public S3 buckets by AWS's own definition of public, and explains why.") { debug, profile, region, endpoint };
        root.Subcommands.Add(CheckCommand.Create(output, errors));
        root.Subcommands.Add(InvokeCommand.Create(output, errors));
        root.Subcommands.Add(ExemptCommand.Create(output, errors));
        root.Subcommands.Add(AuditCommand.Create(input, output, errors));
        root.Subcommands.Add(ExposureCommand.Create(output, errors));
        root.Subcommands.Add(SweepCommand.Create(output, errors));
        root.Subcommands.Add(IncidentCommand.Create(output, errors));
        root.SetAction(_ => Usage(errors, "a command is required (check, audit, exposure, incident, sweep, exempt, invoke)"));

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

        // The SDK reads its standard variables wherever a client or credentials are made, so the options are those
        // variables for the length of the command (and put back after: the CLI also runs in-process in tests).
        using var settings = StandardSettings.Apply(
            ("AWS_PROFILE", parse.GetValue(profile)),
            ("AWS_REGION", parse.GetValue(region)),
            ("AWS_DEFAULT_REGION", parse.GetValue(region)),
            ("AWS_ENDPOINT_URL", parse.GetValue(endpoint)));
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

    /// <summary>Environment variables set for a while and put back as they were.</summary>
    private sealed class StandardSettings : IDisposable
    {
        private readonly List<(string Name, string? Before)> saved = [];

        public static StandardSettings Apply(params (string Name, string? Value)[] settings)
        {
            var applied = new StandardSettings();
            foreach (var (name, value) in settings.Where(s => s.Value is not null))
            {
                applied.saved.Add((name, Environment.GetEnvironmentVariable(name)));
                Environment.SetEnvironmentVariable(name, value);
            }

            return applied;
        }

        public void Dispose()
        {
            foreach (var (name, before) in saved)
            {
                Environment.SetEnvironmentVariable(name, before);
            }
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
        AmazonClientException client when client.Message.Contains("is an SSO profile", StringComparison.Ordinal) => $"the SSO profile {Environment.GetEnvironmentVariable("AWS_PROFILE") ?? "(default)"} has no cached sign-in: run `aws sso login --profile {Environment.GetEnvironmentVariable("AWS_PROFILE") ?? "default"}`, then try again.",
        AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) => $"no usable AWS credentials: {OneLine(client.Message)}. Pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        HttpRequestException http => $"could not reach the service: {OneLine(http.Message)}. Check the endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and the network.",
        AmazonClientException client when client.InnerException is HttpRequestException inner => Describe(inner),
        _ when ex.InnerException is HttpRequestException inner => Describe(inner),
        _ => $"{ex.GetType().Name}: {OneLine(ex.Message)}",
    };

    private static string OneLine(string text) => BucketGuard.Core.Untrusted.Clean(text.ReplaceLineEndings(" "), 400)!;
}
