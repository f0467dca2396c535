using System.Text.Json;

namespace BucketGuard.Tests;

/// <summary>The real-world corpus in ../shared/corpus (beside the repository), read-only acceptance data.</summary>
public static class Corpus
{
    public static string Folder { get; } = Locate();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BucketGuard.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BucketGuard.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("BUCKETGUARD_CORPUS");
        var folder = configured ?? Path.GetFullPath(Path.Combine(FindRepositoryRoot(), "..", "shared", "corpus"));
        if (!File.Exists(Path.Combine(folder, "index.jsonl")))
        {
            throw new InvalidOperationException($"The corpus is missing: no index.jsonl in {folder} (set BUCKETGUARD_CORPUS to its folder)");
        }

        return folder;
    }

    public static IEnumerable<string> Files(string prefix) =>
        Directory.EnumerateFiles(Folder, prefix + "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static TheoryData<string> Items(string prefix) => [.. Files(prefix)];

    public static string Read(string file) => File.ReadAllText(Path.Combine(Folder, file));

    public static JsonDocument Load(string file) => JsonDocument.Parse(Read(file));

    /// <summary>index.jsonl's line for a file.</summary>
    public static JsonElement Index(string file)
    {
        foreach (var line in File.ReadLines(Path.Combine(Folder, "index.jsonl")))
        {
            var element = JsonDocument.Parse(line).RootElement;
            if (element.GetProperty("file").GetString() == file)
            {
                return element;
            }
        }

        throw new KeyNotFoundException(file + " is not in index.jsonl");
    }
}
