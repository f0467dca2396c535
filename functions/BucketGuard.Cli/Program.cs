using BucketGuard.Cli;

// Composition root of the `bucketguard` command-line tool.
return await BucketGuardCli.RunAsync(args, Console.In, Console.Out, Console.Error);
