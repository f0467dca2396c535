using System.Text.Json.Nodes;

namespace BucketGuard.Tests;

/// <summary>Builds small bucket policies for tests without string soup.</summary>
public static class Policies
{
    public static string Allow(JsonNode principal, JsonNode action, JsonObject? condition = null, string effect = "Allow")
    {
        var statement = new JsonObject
        {
            ["Sid"] = "S1",
            ["Effect"] = effect,
            ["Principal"] = principal,
            ["Action"] = action,
            ["Resource"] = "arn:aws:s3:::example-bucket/*",
        };
        if (condition is not null)
        {
            statement["Condition"] = condition;
        }

        return new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = new JsonArray(statement) }.ToJsonString();
    }

    public static string Everyone(string action = "s3:GetObject", JsonObject? condition = null) => Allow("*", action, condition);

    public static JsonObject Condition(string op, string key, params string[] values) =>
        new() { [op] = new JsonObject { [key] = values.Length == 1 ? values[0] : new JsonArray([.. values.Select(v => (JsonNode)v!)]) } };
}
