using System.CommandLine;
using BucketGuard.Cli;

// Composition root of the `bucketguard` command-line tool.
var root = new RootCommand("BucketGuard: finds public S3 buckets by AWS's own definition of public, and explains why.");
root.Subcommands.Add(CheckCommand.Create(Console.Out, Console.Error));
root.Subcommands.Add(InvokeCommand.Create(Console.Out, Console.Error));
root.Subcommands.Add(ExemptCommand.Create(Console.Out, Console.Error));
root.Subcommands.Add(AuditCommand.Create(Console.In, Console.Out, Console.Error));
return root.Parse(args).Invoke();
