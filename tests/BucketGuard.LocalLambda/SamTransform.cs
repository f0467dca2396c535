using System.Diagnostics;
using System.Text.Json.Nodes;

namespace BucketGuard.LocalLambda;

/// <summary>Test tooling: serverless.template as SAM's own translator expands it (tests/tools/sam-transform.py, the
/// aws-sam-translator package), for tests that look at what AWS will create rather than at what the template says.</summary>
public static class SamTransform
{
    /// <summary>The transformed template's Resources.</summary>
    /// <param name="parameters">Parameter overrides, "Name=Value Name=Value", as `sam deploy --parameter-overrides`.</param>
    public static JsonObject Resources(string repositoryRoot, string parameters = "")
    {
        var start = new ProcessStartInfo("python3", [Path.Combine(repositoryRoot, "tests", "tools", "sam-transform.py"), Path.Combine(repositoryRoot, "serverless.template"),
            .. parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"SAM's translator refused the template ({parameters}): {errors}");
        }

        return JsonNode.Parse(output.Result)!["Resources"]!.AsObject();
    }
}
