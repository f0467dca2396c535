using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Incidents;

namespace BucketGuard.Tests;

/// <summary>What DynamoDbIncidents asks of DynamoDB, read from the requests the real AWSSDK.DynamoDBv2 client sends: a new
/// key's pointer is a conditional put (only where none exists); each decision is one UpdateItem that appends its entry
/// and adds its event id, conditioned on the id not being there yet. DynamoDB applies each UpdateItem atomically, so
/// that is what makes 50 concurrent events for one bucket lose no entry (moto does not serialize concurrent writes to
/// one item, so this is pinned here, against the requests, rather than on the emulator).</summary>
public class DynamoDbIncidentTests
{
    /// <summary>Answers as DynamoDB does, one request at a time: the pointer exists after the first put, the event ids
    /// accumulate; records every request's target and body.</summary>
    private sealed class FakeDynamo : HttpMessageHandler
    {
        private readonly HashSet<string> ids = new(StringComparer.Ordinal);
        private string? pointer;

        public List<(string Target, JsonNode Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.GetValues("X-Amz-Target").Single().Split('.')[1];
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            lock (this)
            {
                Requests.Add((target, body));
                var failed = """{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}""";
                string answer;
                var status = HttpStatusCode.OK;
                switch (target)
                {
                    case "PutItem" when pointer is not null:
                        (status, answer) = (HttpStatusCode.BadRequest, failed);
                        break;
                    case "PutItem":
                        pointer = body["Item"]!["incidentId"]!["S"]!.GetValue<string>();
                        answer = "{}";
                        break;
                    case "GetItem":
                        answer = "{\"Item\":{\"incidentId\":{\"S\":\"" + pointer + "\"},\"state\":{\"S\":\"open\"}}}";
                        break;
                    case "UpdateItem":
                        var eventId = body["ExpressionAttributeValues"]![":eventId"]!["S"]!.GetValue<string>();
                        (status, answer) = ids.Add(eventId) ? (HttpStatusCode.OK, "{}") : (HttpStatusCode.BadRequest, failed);
                        break;
                    default:
                        throw new InvalidOperationException(target);
                }

                return new HttpResponseMessage(status) { Content = new StringContent(answer, Encoding.UTF8, "application/x-amz-json-1.0") };
            }
        }
    }

    private static DynamoDbIncidents Incidents(FakeDynamo fake) => new(new AmazonDynamoDBClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonDynamoDBConfig
    {
        RegionEndpoint = Amazon.RegionEndpoint.EUWest1,
        IgnoreConfiguredEndpointUrls = true,
        HttpClientFactory = new HandlerClientFactory(fake),
        MaxErrorRetry = 0,
    }), "incidents");

    private static IncidentUpdate Update(string eventId) => new(
        "111122223333/lab-results", eventId, new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), "remediated", Outcome.Block, Severity.Critical, "phi", "arn:aws:iam::111122223333:user/a", true, null, "public");

    [Fact]
    public async Task Fifty_concurrent_events_each_make_one_conditional_update_of_the_one_incident_and_a_replay_changes_nothing()
    {
        var fake = new FakeDynamo();
        var incidents = Incidents(fake);

        var refs = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => incidents.RecordAsync(Update($"e-{i:D2}"), CancellationToken.None)));
        var replay = await incidents.RecordAsync(Update("e-07"), CancellationToken.None);

        Assert.Single(refs.Select(r => r.Id).Distinct());
        Assert.Single(refs, r => r.Opened);
        Assert.True(replay.Replayed);
        var updates = fake.Requests.Where(r => r.Target == "UpdateItem").Select(r => r.Body).ToList();
        Assert.Equal(51, updates.Count);
        Assert.All(updates, u =>
        {
            Assert.Equal("attribute_not_exists(eventIds) OR NOT contains(eventIds, :eventId)", u["ConditionExpression"]!.GetValue<string>());
            Assert.Contains("history = list_append(if_not_exists(history, :none), :entry)", u["UpdateExpression"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("ADD eventIds :eventIds", u["UpdateExpression"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        var puts = fake.Requests.Where(r => r.Target == "PutItem").Select(r => r.Body).ToList();
        Assert.All(puts, p => Assert.Equal("attribute_not_exists(pk)", p["ConditionExpression"]!.GetValue<string>()));
        Assert.DoesNotContain(fake.Requests, r => r.Target == "PutItem" && r.Body["Item"]!["pk"]!["S"]!.GetValue<string>().StartsWith("incident#", StringComparison.Ordinal));
    }

    [Fact]
    public void An_incident_id_is_the_same_for_the_same_first_event_and_differs_for_another()
    {
        Assert.Equal(Update("e-1").NewId(), Update("e-1").NewId());
        Assert.NotEqual(Update("e-1").NewId(), Update("e-2").NewId());
        Assert.Matches("^inc-20261207-[0-9a-f]{16}$", Update("e-1").NewId());
    }
}
