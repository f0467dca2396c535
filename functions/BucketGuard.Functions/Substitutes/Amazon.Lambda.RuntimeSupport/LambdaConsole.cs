using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Amazon.Lambda.RuntimeSupport;

/// <summary>The real runtime's console redirection (Amazon.Lambda.RuntimeSupport Helpers/ConsoleLoggerWriter.cs,
/// LogLevelLoggerWriter): stdout and stderr are replaced by writers whose WriteLine is one formatted log record
/// (Information on stdout, Error on stderr) and whose Write passes text through unchanged. A record below the minimum
/// level (AWS_LAMBDA_HANDLER_LOG_LEVEL, else AWS_LAMBDA_LOG_LEVEL; "warn" and "fatal" mapped to Warning and Critical)
/// is dropped. The format (AWS_LAMBDA_HANDLER_LOG_FORMAT, else AWS_LAMBDA_LOG_FORMAT) is JSON
/// ({"timestamp","level","requestId","traceId","message"}), Unformatted, or by default
/// "timestamp\trequestId\tlevel\tmessage". Kept exact because it decides whether a decision or EMF metrics line reaches
/// CloudWatch as the top-level JSON that filters and metric extraction read.</summary>
internal static class LambdaConsole
{
    internal enum LogLevel { Trace, Debug, Information, Warning, Error, Critical, None }

    internal enum LogFormatType { Default, Unformatted, Json }

    private static readonly Lock Gate = new();
    private static FormattingWriter? stdout;

    /// <summary>The invocation in progress, for the records' requestId.</summary>
    internal static string? RequestId { get; set; }

    internal static FormattingWriter Out => stdout ?? Install();

    internal static FormattingWriter Install()
    {
        lock (Gate)
        {
            if (stdout is null)
            {
                var level = MinimumLevel(Setting("AWS_LAMBDA_HANDLER_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"));
                var format = Enum.TryParse<LogFormatType>(Setting("AWS_LAMBDA_HANDLER_LOG_FORMAT", "AWS_LAMBDA_LOG_FORMAT"), true, out var f) ? f : LogFormatType.Default;
                var error = new FormattingWriter(Console.Error, LogLevel.Error, level, format);
                stdout = new FormattingWriter(Console.Out, LogLevel.Information, level, format);
                Console.SetOut(stdout);
                Console.SetError(error);
            }

            return stdout;
        }
    }

    private static string? Setting(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(fallback);

    internal static LogLevel MinimumLevel(string? setting) => setting switch
    {
        null or "" => LogLevel.Information,
        _ when setting.Equals("fatal", StringComparison.OrdinalIgnoreCase) => LogLevel.Critical,
        _ when setting.Equals("warn", StringComparison.OrdinalIgnoreCase) => LogLevel.Warning,
        _ => Enum.TryParse<LogLevel>(setting, true, out var parsed) ? parsed : LogLevel.Information,
    };

    internal sealed class FormattingWriter(TextWriter inner, LogLevel level, LogLevel minimum, LogFormatType format) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override void Write(string? value) => inner.Write(value);

        public override void Write(char[] buffer, int index, int count) => inner.Write(buffer, index, count);

        public override void WriteLine(string? value) => FormattedWriteLine(value);

        public override void WriteLine() => FormattedWriteLine(string.Empty);

        public override Task WriteLineAsync(string? value)
        {
            FormattedWriteLine(value);
            return Task.CompletedTask;
        }

        public override void Flush() => inner.Flush();

        internal void FormattedWriteLine(string? message)
        {
            if (level < minimum)
            {
                return;
            }

            lock (Gate)
            {
                inner.WriteLine(Format(message ?? string.Empty));
                inner.Flush();
            }
        }

        private string Format(string message)
        {
            var timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            switch (format)
            {
                case LogFormatType.Json:
                    var buffer = new MemoryStream();
                    using (var w = new Utf8JsonWriter(buffer))
                    {
                        w.WriteStartObject();
                        w.WriteString("timestamp", timestamp);
                        w.WriteString("level", level.ToString());
                        if (RequestId is { } id)
                        {
                            w.WriteString("requestId", id);
                        }

                        if (Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID") is { } trace)
                        {
                            w.WriteString("traceId", trace);
                        }

                        w.WriteString("message", message);
                        w.WriteEndObject();
                    }

                    return Encoding.UTF8.GetString(buffer.ToArray());
                case LogFormatType.Unformatted:
                    return message;
                case LogFormatType.Default:
                    return $"{timestamp}\t{RequestId}\t{Label(level)}\t{message}";
            }

            return message;
        }

        private static string Label(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            LogLevel.None => "none",
        };
    }
}
