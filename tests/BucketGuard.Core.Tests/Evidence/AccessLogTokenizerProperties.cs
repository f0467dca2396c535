using System.Text;
using BucketGuard.Core.Evidence;
using FsCheck;
using FsCheck.Fluent;

namespace BucketGuard.Tests.Evidence;

/// <summary>The access log tokenizer (ServerAccessLog.Tokenize, which finds field ends by bit masks over each 64 bytes)
/// against a reading of the same rules one character at a time, over generated records whose fields and escapes fall
/// on every side of a 64-byte boundary.</summary>
public class AccessLogTokenizerProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(2000);

    /// <summary>The S3 User Guide's rules, one character at a time: spaces between fields (any number), [bracketed],
    /// "quoted" with backslash escapes, "-" as null; null with an error when a bracket or quote is not closed.</summary>
    private static List<string?>? Reference(string line)
    {
        var fields = new List<string?>();
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }

            var field = new StringBuilder();
            if (line[i] is '[' or '"')
            {
                var close = line[i] == '[' ? ']' : '"';
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return null;
                    }

                    if (close == '"' && line[i] == '\\')
                    {
                        if (i + 1 < line.Length)
                        {
                            field.Append(line[i + 1]);
                        }

                        i += 2;
                        continue;
                    }

                    if (line[i] == close)
                    {
                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }
            }
            else
            {
                while (i < line.Length && line[i] != ' ')
                {
                    field.Append(line[i++]);
                }
            }

            fields.Add(field.ToString() == "-" ? null : field.ToString());
        }

        return fields;
    }

    private static readonly Gen<char> Character = Gen.Frequency(
        (12, Gen.Elements("abcXYZ019/.:-_%+é".ToCharArray())),
        (2, Gen.Constant(' ')),
        (1, Gen.Elements('"', '\\', '[', ']')));

    private static readonly Gen<string> Text = Gen.Choose(0, 90).SelectMany(n => Gen.ArrayOf(Character, n)).Select(c => new string(c));

    private static string Plain(string text) => text.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\"", string.Empty, StringComparison.Ordinal).TrimStart('[') is { Length: > 0 } plain ? plain : "-";

    private static readonly Gen<string> Field = Gen.OneOf(
        Text.Select(Plain),
        Text.Select(t => "[" + t.Replace("]", string.Empty, StringComparison.Ordinal) + "]"),
        Text.Select(t => "\"" + t.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""),
        Gen.Constant("-"),
        Gen.Constant("\"-\""));

    private static readonly Gen<string> Line = Gen.Choose(1, 30)
        .SelectMany(n => Gen.ArrayOf(Field.SelectMany(f => Gen.Choose(1, 3).Select(spaces => f + new string(' ', spaces))), n))
        .SelectMany(fields => Gen.Frequency(
            (6, Gen.Constant(string.Concat(fields).TrimEnd())),
            (1, Gen.Elements("\"", "[", "\"abc\\", " \"x").Select(cut => string.Concat(fields) + cut))));

    [Fact]
    public void Every_generated_record_splits_into_the_fields_a_character_by_character_reading_finds_or_is_refused_by_both() =>
        Prop.ForAll(Line.ToArbitrary(), line =>
        {
            var expected = Reference(line);
            var actual = ServerAccessLog.Tokenize(line, out var error);
            Assert.Equal(expected is null, actual is null);
            Assert.Equal(expected is null, error is not null);
            if (expected is not null)
            {
                Assert.Equal(expected, actual);
            }
        }).Check(Runs);
}
