using System.CommandLine;
using BucketGuard.Core.Check;

namespace BucketGuard.Cli;

/// <summary>`bucketguard check PATH... [--json]`: evaluates policy, ACL and event files offline.
/// Exit code 0 when nothing is public, 1 when something is, 2 when an input could not be read or understood
/// (2 wins: a check that could not look at everything has not shown that nothing is public).</summary>
public static class CheckCommand
{
    public const int NothingPublic = 0;
    public const int SomethingPublic = 1;
    public const int InputProblem = 2;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Files or folders (every *.json and *.xml below a folder): bucket policies, ACLs, EventBridge events",
            Arity = ArgumentArity.OneOrMore,
        };
        var json = new Option<bool>("--json") { Description = "One JSON object per input per line" };
        var command = new Command("check", "Evaluate bucket policies, ACLs and CloudTrail events offline and explain every public grant") { paths, json };
        paths.Validators.Add(result =>
        {
            // "--jsn" is a mistyped option, not a file: say so rather than look for a file of that name.
            foreach (var token in result.Tokens.Select(t => t.Value).Where(v => v.StartsWith('-') && !File.Exists(v) && !Directory.Exists(v)))
            {
                result.AddError($"unknown option {token} (check takes PATH... and --json)");
            }
        });
        command.SetAction(parse => Run(parse.GetValue(paths) ?? [], parse.GetValue(json), output, errors));
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, bool json, TextWriter output, TextWriter errors)
    {
        var results = new List<CheckResult>();
        foreach (var path in paths)
        {
            foreach (var result in CheckPath(path))
            {
                results.Add(result);
                if (json)
                {
                    output.WriteLine(CheckReport.ToJsonLine(result));
                }
                else
                {
                    CheckReport.WriteText(result, output);
                }
            }
        }

        if (!json)
        {
            CheckReport.WriteSummary(results, output);
        }

        foreach (var failed in results.Where(r => r.Error is not null && r.Public is null))
        {
            errors.WriteLine($"bucketguard check: {failed.Path}: {failed.Error}");
        }

        return ExitCode(results);
    }

    public static int ExitCode(IReadOnlyCollection<CheckResult> results) =>
        results.Any(r => r.Error is not null) ? InputProblem
        : results.Any(r => r.Exposes) ? SomethingPublic
        : NothingPublic;

    private static IEnumerable<CheckResult> CheckPath(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
            {
                yield return CheckResult.Failure(path, null, "the folder holds no .json or .xml file");
            }

            foreach (var file in files)
            {
                yield return CheckFile(file);
            }
        }
        else if (File.Exists(path))
        {
            yield return CheckFile(path);
        }
        else
        {
            yield return CheckResult.Failure(path, null, "no such file or folder");
        }
    }

    private static CheckResult CheckFile(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Failure(file, null, $"cannot be read: {ex.Message}");
        }

        return Checker.Check(file, text);
    }
}
