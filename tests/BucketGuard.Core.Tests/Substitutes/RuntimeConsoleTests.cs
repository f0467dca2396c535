using System.Text.Json.Nodes;
using Amazon.Lambda.RuntimeSupport;

namespace BucketGuard.Tests;

/// <summary>The runtime substitute's console behaves as Amazon.Lambda.RuntimeSupport's LogLevelLoggerWriter
/// (aws/aws-lambda-dotnet, Helpers/ConsoleLoggerWriter.cs and Helpers/Logging/*Formatter.cs): what BucketGuard's log
/// records must survive when the function runs under the real package.</summary>
public class RuntimeConsoleTests
{
    private static (LambdaConsole.FormattingWriter Writer, StringWriter Inner) Writer(string? level, LambdaConsole.LogFormatType format)
    {
        var inner = new StringWriter();
        return (new LambdaConsole.FormattingWriter(inner, LambdaConsole.LogLevel.Information, LambdaConsole.MinimumLevel(level), format), inner);
    }

    [Fact]
    public void Under_the_json_log_format_a_written_line_becomes_the_message_of_an_information_record_of_its_own()
    {
        var (writer, inner) = Writer(null, LambdaConsole.LogFormatType.Json);

        writer.WriteLine("""{"_aws":{"Timestamp":1}}""");

        var record = JsonNode.Parse(inner.ToString())!;
        Assert.Equal("Information", record["level"]!.GetValue<string>());
        Assert.Equal("""{"_aws":{"Timestamp":1}}""", record["message"]!.GetValue<string>());
        Assert.Null(record["_aws"]);
    }

    [Theory]
    [InlineData("WARN")]
    [InlineData("error")]
    [InlineData("fatal")]
    public void A_log_level_above_information_drops_written_lines_but_not_raw_writes(string level)
    {
        var (writer, inner) = Writer(level, LambdaConsole.LogFormatType.Json);

        writer.WriteLine("dropped");
        writer.Write("""{"level":"info","_aws":{}}""" + "\n");

        Assert.Equal("""{"level":"info","_aws":{}}""" + "\n", inner.ToString());
    }

    [Theory]
    [InlineData("INFO")] // Lambda's name for the level; the runtime cannot parse it and keeps its default, Information
    [InlineData("debug")]
    [InlineData(null)]
    public void Information_and_lower_minimum_levels_keep_written_lines(string? level)
    {
        var (writer, inner) = Writer(level, LambdaConsole.LogFormatType.Default);

        writer.WriteLine("kept");

        var fields = inner.ToString().TrimEnd('\n').Split('\t');
        Assert.Equal(("info", "kept"), (fields[2], fields[3]));
    }

    [Fact]
    public void The_functions_log_records_are_written_raw_so_each_reaches_the_log_as_the_top_level_json_it_is()
    {
        var context = new Amazon.Lambda.TestUtilities.TestLambdaContext();

        BucketGuard.Functions.LambdaLog.Write(context, """{"level":"info","_aws":{}}""");

        // TestLambdaLogger keeps Log and LogLine apart as the real one does: Log appends exactly what it is given.
        Assert.Equal("""{"level":"info","_aws":{}}""" + "\n", ((Amazon.Lambda.TestUtilities.TestLambdaLogger)context.Logger).Buffer.ToString());
    }
}
