using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BucketGuard.Functions;

namespace BucketGuard.Tests;

/// <summary>serverless.template, read as data: references resolve, handlers exist, EventBridge patterns route each
/// sample event to exactly its handler, IAM stays within the allowed actions, and failures have somewhere to go.</summary>
public partial class TemplateTests
{
    private static readonly JsonObject Template = JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "serverless.template")))!.AsObject();

    private static JsonObject Resources => Template["Resources"]!.AsObject();

    private static IEnumerable<(string Name, JsonObject Function)> Functions =>
        Resources.Where(r => r.Value!["Type"]!.GetValue<string>() == "AWS::Serverless::Function").Select(r => (r.Key, r.Value!.AsObject()));

    private static readonly HashSet<string> Pseudo = ["AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix", "AWS::StackId", "AWS::NoValue"];

    [GeneratedRegex(@"\$\{([^}!]+)\}")]
    private static partial Regex SubVariable();

    private static IEnumerable<JsonNode> All(JsonNode? node)
    {
        if (node is null)
        {
            yield break;
        }

        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var n in All(child))
            {
                yield return n;
            }
        }
    }

    [Fact]
    public void The_template_is_a_sam_template_with_parameters_for_every_setting()
    {
        Assert.Equal("AWS::Serverless-2016-10-31", Template["Transform"]!.GetValue<string>());
        var parameters = Template["Parameters"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var name in new[] { "Mode", "NotificationEmail", "TagPrefix", "MaxExemptionDays", "SweepSchedule", "BlockFlags", "LogLevel", "Architecture" })
        {
            Assert.Contains(name, parameters);
        }
    }

    /// <summary>Every name a template refers to (Ref, Fn::GetAtt, Fn::Sub variables, conditions) that it does not define.</summary>
    private static List<string> Undefined(JsonObject template)
    {
        var resources = template["Resources"]!.AsObject();
        // SAM names the rule it generates for a function's or state machine's event <Resource><Event> (referenced by the
        // dead-letter queue's policy).
        var generated = resources.Where(r => r.Value?["Type"]?.GetValue<string>() is "AWS::Serverless::Function" or "AWS::Serverless::StateMachine")
            .SelectMany(f => (f.Value!["Properties"]?["Events"]?.AsObject() ?? []).Select(e => f.Key + e.Key));
        var known = new HashSet<string>(resources.Select(r => r.Key).Concat(template["Parameters"]!.AsObject().Select(p => p.Key)).Concat(Pseudo).Concat(generated));
        var conditions = template["Conditions"]?.AsObject().Select(c => c.Key).ToHashSet() ?? [];
        var missing = new List<string>();
        foreach (var node in All(template).OfType<JsonObject>())
        {
            var targets = new List<string>();
            if (node["Ref"] is JsonValue r)
            {
                targets.Add(r.GetValue<string>());
            }

            if (node["Fn::GetAtt"] is JsonArray g)
            {
                targets.Add(g[0]!.GetValue<string>());
            }

            if (node["Fn::Sub"] is JsonValue s)
            {
                targets.AddRange(SubVariable().Matches(s.GetValue<string>()).Select(m => m.Groups[1].Value.Split('.')[0]));
            }

            missing.AddRange(targets.Where(t => !known.Contains(t)));
            if (node["Condition"] is JsonValue c && !conditions.Contains(c.GetValue<string>()))
            {
                missing.Add("condition " + c.GetValue<string>());
            }

            if (node["Fn::If"] is JsonArray i && !conditions.Contains(i[0]!.GetValue<string>()))
            {
                missing.Add("condition " + i[0]!.GetValue<string>());
            }
        }

        return missing;
    }

    [Fact]
    public void Every_ref_getatt_sub_and_condition_target_exists()
    {
        Assert.Empty(Undefined(Template));
        Assert.Contains("condition Nowhere", Undefined(JsonNode.Parse("""{"Parameters":{},"Resources":{"A":{"Type":"T","Condition":"Nowhere","Properties":{"B":{"Ref":"Missing"}}}}}""")!.AsObject()));
        Assert.Contains("Missing", Undefined(JsonNode.Parse("""{"Parameters":{},"Resources":{"A":{"Type":"T","Properties":{"B":{"Fn::Sub":"x-${Missing.Arn}"}}}}}""")!.AsObject()));
    }

    [Fact]
    public void Every_handler_named_in_the_template_exists_in_the_bootstrap()
    {
        var handlers = Handlers.EventNames.Keys.Concat(Handlers.Others).ToHashSet();

        Assert.All(Functions, f => Assert.Contains(f.Function["Properties"]!["Handler"]!.GetValue<string>(), handlers));
        Assert.Equal(handlers.Order(), Functions.Select(f => f.Function["Properties"]!["Handler"]!.GetValue<string>()).Order());
    }

    /// <summary>`sam build` calls build-LOGICALID of the Makefile for every function built by makefile: one missing
    /// target fails the build (the objects function once had none).</summary>
    [Fact]
    public void Every_function_built_by_the_makefile_has_a_build_target_there()
    {
        var makefile = File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "Makefile"));
        var targets = Regex.Matches(makefile, @"^([^#\s][^:=]*):", RegexOptions.Multiline).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();

        Assert.All(Functions.Where(f => f.Function["Metadata"]?["BuildMethod"]?.GetValue<string>() == "makefile"), f => Assert.Contains("build-" + f.Name, targets));
    }

    /// <summary>The EventBridge pattern features the template uses: nested objects, and lists of exact values.</summary>
    private static bool Matches(JsonNode pattern, JsonNode? @event)
    {
        foreach (var (key, expected) in pattern.AsObject())
        {
            var actual = @event?[key];
            if (expected is JsonArray values)
            {
                if (actual is not JsonValue v || !values.Any(x => x!.GetValue<string>() == v.ToString()))
                {
                    return false;
                }
            }
            else if (!Matches(expected!, actual))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Every_sample_event_is_matched_by_exactly_the_rule_of_its_handler()
    {
        var rules = Functions.SelectMany(f => (f.Function["Properties"]!["Events"]?.AsObject() ?? [])
            .Where(e => e.Value!["Type"]!.GetValue<string>() == "EventBridgeRule")
            .Select(e => (Handler: f.Function["Properties"]!["Handler"]!.GetValue<string>(), Pattern: e.Value!["Properties"]!["Pattern"]!))).ToList();
        var samples = Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "events"), "*.json").ToList();
        Assert.NotEmpty(samples);

        foreach (var sample in samples)
        {
            var @event = JsonNode.Parse(File.ReadAllText(sample))!;
            var eventName = @event["detail"]!["eventName"]!.GetValue<string>();
            var expected = Handlers.EventNames.Single(h => h.Value.Contains(eventName)).Key;

            var matched = rules.Where(r => Matches(r.Pattern, @event)).Select(r => r.Handler).ToList();

            Assert.True(matched.Count == 1 && matched[0] == expected, $"{Path.GetFileName(sample)} ({eventName}) matched [{string.Join(", ", matched)}], expected {expected}");
        }

        var getObject = JsonNode.Parse("""{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}""");
        Assert.DoesNotContain(rules, r => Matches(r.Pattern, getObject));
    }

    private static readonly HashSet<string> AllowedActions =
    [
        "s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
        "s3:GetBucketTagging", "s3:GetBucketLogging", "s3:ListBucketVersions", "s3:GetAccountPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:ListAllMyBuckets", "sns:Publish",
        "kms:GenerateDataKey", "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents", "sts:AssumeRole",
        "organizations:ListAccounts", "sqs:SendMessage", "kms:VerifyMac", "securityhub:BatchImportFindings", "events:PutEvents",
        "s3:GetObjectAcl", "s3:GetObjectVersionAcl", "s3:ListBucket", "s3:GetAccessPoint", "s3:GetAccessPointPolicy", "s3:GetAccessPointPolicyStatus", "s3:ListAccessPoints",
        "cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "s3:GetObject", "securityhub:BatchUpdateFindings",
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "s3:PutObject", "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts", "lambda:InvokeFunction", "states:StartExecution", "states:DescribeExecution", "states:StopExecution", "states:RedriveExecution",
        "macie2:GetResourceProfile",
    ];

    private static readonly HashSet<string> NoResourceScope = ["s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "organizations:ListAccounts", "s3:ListAccessPoints", "cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "macie2:GetResourceProfile"];

    /// <summary>s3:GetObject reads data: only the after-lock function, only on the evidence buckets the template is given;
    /// the sweep's roles read back only the sweep's own items in its own bucket.</summary>
    [Fact]
    public void Only_the_exposure_function_reads_objects_and_only_in_the_evidence_buckets_it_is_given()
    {
        foreach (var (name, role) in Resources.Where(r => r.Value!["Type"]!.GetValue<string>() == "AWS::IAM::Role"))
        {
            var statements = role!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray();
            var reads = statements.Where(st => st!.ToJsonString().Contains("\"s3:GetObject\"", StringComparison.Ordinal)).ToList();
            if (name is "SweepFunctionRole" or "SweepStateMachineRole")
            {
                Assert.Equal("""{"Fn::Sub":"${SweepBucket.Arn}/sweeps/*"}""", Assert.Single(reads)!["Resource"]!.ToJsonString());
                continue;
            }

            if (name != "ExposureFunctionRole")
            {
                Assert.Empty(reads);
                continue;
            }

            var branches = Assert.Single(reads)!["Fn::If"]!.AsArray();
            Assert.Equal(("ReadsEvidence", "AWS::NoValue"), (branches[0]!.GetValue<string>(), branches[2]!["Ref"]!.GetValue<string>()));
            Assert.Contains("EvidenceBucketArns", branches[1]!["Resource"]!.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("*/*", branches[1]!.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("s3:PutBucketPublicAccessBlock", role.ToJsonString(), StringComparison.Ordinal);
        }

        var evidence = Template["Parameters"]!["EvidenceBucketArns"]!;
        Assert.Equal(("CommaDelimitedList", ""), (evidence["Type"]!.GetValue<string>(), evidence["Default"]!.GetValue<string>()));
    }

    /// <summary>A policy's statements, each branch of a conditional statement (Fn::If) included, AWS::NoValue left out.</summary>
    private static IEnumerable<JsonNode> Statements(JsonNode policyDocument)
    {
        foreach (var statement in policyDocument["Statement"]!.AsArray())
        {
            if (statement!["Fn::If"] is JsonArray branches)
            {
                foreach (var branch in branches.Skip(1).Where(b => b!["Ref"]?.GetValue<string>() != "AWS::NoValue"))
                {
                    yield return branch!;
                }
            }
            else
            {
                yield return statement;
            }
        }
    }

    [Fact]
    public void Every_iam_statement_of_the_functions_is_within_the_allowed_actions_and_scoped()
    {
        var roles = Resources.Where(r => r.Value!["Type"]!.GetValue<string>() == "AWS::IAM::Role").ToList();
        Assert.Equal(4, roles.Count);
        foreach (var (name, role) in roles)
        {
            foreach (var statement in role!["Properties"]!["Policies"]!.AsArray().SelectMany(p => Statements(p!["PolicyDocument"]!)))
            {
                var actions = statement!["Action"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
                Assert.All(actions, a => Assert.True(AllowedActions.Contains(a), $"{name}: {a} is not allowed"));
                if (statement["Resource"] is JsonValue star && star.GetValue<string>() == "*")
                {
                    Assert.All(actions, a => Assert.True(NoResourceScope.Contains(a), $"{name}: {a} has Resource * but has a resource scope"));
                }
            }
        }

        var sweepOnly = roles.Single(r => r.Key == "EventFunctionsRole").Value!.ToJsonString();
        Assert.DoesNotContain("s3:ListAllMyBuckets", sweepOnly, StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_have_somewhere_to_go_and_notifications_are_encrypted()
    {
        var states = Resources["SweepStateMachine"]!["Properties"]!["DefinitionSubstitutions"]!.AsObject().Select(s => s.Value!["Fn::GetAtt"]![0]!.GetValue<string>()).ToHashSet();
        foreach (var (name, function) in Functions)
        {
            var properties = function["Properties"]!;
            Assert.True(Resources.ContainsKey(name + "ErrorsAlarm"), $"{name} has no errors alarm");
            if (properties["Events"] is null)
            {
                // A state of the sweep's state machine: its failures go to the state's Retry, then fail the execution,
                // which the failed-sweep alarm watches.
                Assert.Contains(name, states);
                Assert.Contains("ExecutionsFailed", Resources["SweepFailedAlarm"]!.ToJsonString(), StringComparison.Ordinal);
                continue;
            }

            if (properties["Events"]!.AsObject().All(e => e.Value!["Type"]!.GetValue<string>() == "SQS"))
            {
                // A queue consumer: the queue delivers a failed message again, then moves it to the dead-letter queue.
                foreach (var (_, @event) in properties["Events"]!.AsObject())
                {
                    var queue = @event!["Properties"]!["Queue"]!["Fn::GetAtt"]![0]!.GetValue<string>();
                    Assert.Equal("DeadLetterQueue", Resources[queue]!["Properties"]!["RedrivePolicy"]!["deadLetterTargetArn"]!["Fn::GetAtt"]![0]!.GetValue<string>());
                    Assert.Equal(["ReportBatchItemFailures"], @event["Properties"]!["FunctionResponseTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
                    Assert.True(Resources[queue]!["Properties"]!["VisibilityTimeout"]!.GetValue<int>() >= properties["Timeout"]!.GetValue<int>() * 6, "the queue's visibility timeout is at least six times the function's (Lambda Developer Guide)");
                    Assert.Equal(Template["Globals"]!["Function"]!["Environment"]!["Variables"]!["BUCKETGUARD_EXPOSURE_ATTEMPTS"]!.GetValue<string>(),
                        Resources[queue]!["Properties"]!["RedrivePolicy"]!["maxReceiveCount"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                continue;
            }

            Assert.Equal("SQS", properties["EventInvokeConfig"]!["DestinationConfig"]!["OnFailure"]!["Type"]!.GetValue<string>());
            foreach (var (_, @event) in properties["Events"]!.AsObject())
            {
                Assert.NotNull(@event!["Properties"]!["DeadLetterConfig"]);
                Assert.NotNull(@event["Properties"]!["RetryPolicy"]);
            }

        }

        Assert.Equal("NotificationKey", Resources["NotificationTopic"]!["Properties"]!["KmsMasterKeyId"]!["Ref"]!.GetValue<string>());
        Assert.Equal("NotificationTopic", Resources["DeadLetterAlarm"]!["Properties"]!["AlarmActions"]![0]!["Ref"]!.GetValue<string>());
        Assert.Equal("provided.al2023", Template["Globals"]!["Function"]!["Runtime"]!.GetValue<string>());
    }

    [Fact]
    public void Each_functions_rule_lists_exactly_its_handlers_event_names_from_the_one_routing_table()
    {
        foreach (var (name, function) in Functions.Where(f => Handlers.EventNames.ContainsKey(f.Function["Properties"]!["Handler"]!.GetValue<string>())))
        {
            var handler = function["Properties"]!["Handler"]!.GetValue<string>();
            var listed = function["Properties"]!["Events"]!.AsObject().Select(e => e.Value!["Properties"]!["Pattern"]?["detail"]?["eventName"]).OfType<JsonArray>()
                .SelectMany(a => a.Select(n => n!.GetValue<string>())).Order(StringComparer.Ordinal);
            Assert.True(BucketGuard.Core.Events.EventRouting.Handlers[handler].Order(StringComparer.Ordinal).SequenceEqual(listed), $"{name} ({handler}) routes [{string.Join(", ", listed)}]");
        }
    }

    /// <summary>The value CloudFormation gives a function's environment variable for one choice of every Fn::If: a
    /// parameter's given value, else its default; a table's or bucket's name; else (a topic) an SNS ARN named after it.</summary>
    private static string? Resolve(JsonNode? value, Func<string, bool> condition, IReadOnlyDictionary<string, string> parameters) => value switch
    {
        JsonValue v => v.ToString(),
        JsonObject o when o["Ref"] is { } r => parameters.GetValueOrDefault(r.GetValue<string>())
            ?? (Template["Parameters"]![r.GetValue<string>()]?["Default"] is JsonValue d && d.ToString().Length > 0 ? d.ToString() : null)
            ?? (Resources[r.GetValue<string>()]?["Type"]?.GetValue<string>() is "AWS::DynamoDB::Table" or "AWS::S3::Bucket" ? "bucketguard-" + r.GetValue<string>().ToLowerInvariant() : null)
            ?? "arn:aws:sns:eu-west-1:111122223333:" + r.GetValue<string>(),
        JsonObject o when o["Fn::If"] is JsonArray branches => Resolve(condition(branches[0]!.GetValue<string>()) ? branches[1] : branches[2], condition, parameters),
        _ => null,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_outputs_the_template_turns_on_are_settings_the_code_accepts_and_each_may_reach_only_its_own_resource(bool enabled)
    {
        var parameters = new Dictionary<string, string>
        {
            ["SecurityHubFindings"] = enabled ? "Enabled" : "Disabled",
            ["EventBusName"] = enabled ? "soar" : string.Empty,
            ["ChatTopicArn"] = enabled ? "arn:aws:sns:eu-west-1:111122223333:chat" : string.Empty,
            ["Mode"] = "enforce",
            ["BlockFlags"] = "all",
            ["TagPrefix"] = "bucketguard:",
            ["MaxExemptionDays"] = "90",
            ["ExemptionWarningDays"] = "7",
            ["ExemptWrite"] = "deny",
            ["LogLevel"] = "info",
            ["Unreadable"] = "report",
            ["ObjectAcls"] = "lock-when-public",
            ["SweepObjectSample"] = "0",
            ["DeadLetterQueue"] = "https://sqs.eu-west-1.amazonaws.com/111122223333/bucketguard-dead-letters",
            ["ExposureQueue"] = "https://sqs.eu-west-1.amazonaws.com/111122223333/bucketguard-exposure",
            ["MacieSensitiveDataClass"] = enabled ? "phi" : "off",
            ["AWS::AccountId"] = "111122223333",
        };
        var conditions = new HashSet<string> { "ImportsFindings", "PutsEvents", "PostsToChat", "ConsultsMacie" };
        var variables = Template["Globals"]!["Function"]!["Environment"]!["Variables"]!.AsObject()
            .ToDictionary(v => v.Key, v => Resolve(v.Value, c => enabled && conditions.Contains(c), parameters));
        variables["BUCKETGUARD_ROLE_ARNS"] = "arn:aws:iam::111122223333:role/a";
        variables["BUCKETGUARD_MEMBER_ROLE_ARN"] = string.Empty;

        var settings = BucketGuard.Core.Pipeline.BucketGuardSettings.FromEnvironment(n => variables.GetValueOrDefault(n));

        Assert.True(settings.Ok, settings.Error);
        Assert.Equal(enabled, settings.Value!.SecurityHub);
        Assert.Equal(enabled ? "soar" : null, settings.Value.EventBus);
        Assert.Equal(enabled ? "arn:aws:sns:eu-west-1:111122223333:chat" : null, settings.Value.ChatTopicArn);
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com/111122223333/bucketguard-dead-letters", settings.Value.DeadLetterQueueUrl);
        Assert.Equal(("https://sqs.eu-west-1.amazonaws.com/111122223333/bucketguard-exposure", 5), (settings.Value.ExposureQueueUrl, settings.Value.ExposureAttempts));
        Assert.Equal(enabled ? BucketGuard.Core.Decisions.DataClass.Phi : null, settings.Value.Policy.MacieSensitiveDataClass);
        var expected = new Dictionary<string, (string Action, string Resource)>
        {
            ["ImportsFindings"] = ("securityhub:BatchImportFindings", "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"),
            ["PutsEvents"] = ("events:PutEvents", "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"),
            ["PostsToChat"] = ("sns:Publish", "ChatTopicArn"),
            ["ConsultsMacie"] = ("macie2:GetResourceProfile", "*"),
        };
        foreach (var role in new[] { "EventFunctionsRole", "SweepFunctionRole" })
        {
            var statements = Resources[role]!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray();
            foreach (var (condition, (action, resource)) in expected)
            {
                var granted = statements.Single(st => st!["Fn::If"]?[0]?.GetValue<string>() == condition)!["Fn::If"]!;
                Assert.Equal("AWS::NoValue", granted[2]!["Ref"]!.GetValue<string>());
                Assert.Equal([action], granted[1]!["Action"]!.AsArray().Select(a => a!.GetValue<string>()));
                var scope = granted[1]!["Resource"]!;
                Assert.Equal(resource, (scope is JsonValue ? scope : scope["Fn::Sub"] ?? scope["Ref"])!.GetValue<string>());
            }
        }
    }
}
