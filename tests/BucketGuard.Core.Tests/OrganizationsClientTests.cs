using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Organizations;
using Amazon.Runtime;
using BucketGuard.Aws;

namespace BucketGuard.Tests;

/// <summary>The Organizations substitute's wire format (JSON 1.1, X-Amz-Target, SigV4 for organizations/us-east-1),
/// pagination and errors, against an HTTP fake; moto server checks the same client for real (MotoFactsTests).</summary>
public class OrganizationsClientTests
{
    private sealed class FakeOrganizations(params string[] pages) : HttpMessageHandler
    {
        public List<(string Target, string Authorization, JsonNode Body)> Requests { get; } = [];

        public List<string> Hosts { get; } = [];

        public HttpStatusCode Status { get; init; } = HttpStatusCode.OK;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            Hosts.Add(request.RequestUri!.Host);
            Requests.Add((request.Headers.GetValues("X-Amz-Target").Single(), string.Join(",", request.Headers.GetValues("Authorization")), body));
            var page = Status == HttpStatusCode.OK ? pages[Math.Min(Requests.Count - 1, pages.Length - 1)] : """{"__type":"com.amazon.organizations#AccessDeniedException","Message":"no"}""";
            return new HttpResponseMessage(Status) { Content = new StringContent(page, Encoding.UTF8, "application/x-amz-json-1.1") };
        }
    }

    private static AmazonOrganizationsClient Client(FakeOrganizations fake) =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonOrganizationsConfig
        {
            RegionEndpoint = Amazon.RegionEndpoint.EUWest1,
            ServiceURL = null,
            IgnoreConfiguredEndpointUrls = true,
            HttpClientFactory = new HandlerClientFactory(fake),
        });

    [Fact]
    public async Task Every_page_is_read_and_only_active_accounts_are_swept()
    {
        var fake = new FakeOrganizations(
            """{"Accounts":[{"Id":"111122223333","Status":"ACTIVE"},{"Id":"222233334444","Status":"SUSPENDED"}],"NextToken":"t1"}""",
            """{"Accounts":[{"Id":"333344445555","Status":"ACTIVE"},{"Id":"444455556666","Status":"PENDING_CLOSURE"},{"Id":"not-an-id","Status":"ACTIVE"}]}""");

        var accounts = await new OrganizationAccountLister(Client(fake)).ListActiveAsync(CancellationToken.None);

        Assert.Equal(["111122223333", "333344445555"], accounts.AsEnumerable());
        Assert.Equal(["AWSOrganizationsV20161128.ListAccounts", "AWSOrganizationsV20161128.ListAccounts"], fake.Requests.Select(r => r.Target));
        Assert.Null(fake.Requests[0].Body["NextToken"]);
        Assert.Equal("t1", fake.Requests[1].Body["NextToken"]!.GetValue<string>());
        Assert.Contains("/us-east-1/organizations/aws4_request", fake.Requests[0].Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_accounts_State_decides_and_its_retired_Status_is_read_only_where_State_is_absent()
    {
        var fake = new FakeOrganizations(
            """{"Accounts":[{"Id":"111122223333","State":"ACTIVE","Status":"ACTIVE"},{"Id":"222233334444","State":"CLOSED","Status":"ACTIVE"},{"Id":"333344445555","Status":"ACTIVE"},{"Id":"444455556666","State":"SUSPENDED"},{"Id":"555566667777","State":"PENDING_ACTIVATION"}]}""");

        var accounts = await new OrganizationAccountLister(Client(fake)).ListActiveAsync(CancellationToken.None);

        Assert.Equal(["111122223333", "333344445555"], accounts.AsEnumerable());
    }

    [Theory]
    [InlineData("""{"Accounts":[{"Id":"111122223333","State":"SUSPENDED"},{"Id":"222233334444","Status":"PENDING_CLOSURE"}]}""")]
    [InlineData("""{"Accounts":[{"Id":"111122223333","Lifecycle":"ACTIVE"},{"Id":"222233334444"}]}""")]
    [InlineData("""{"Accounts":[{"Id":"not-an-id","State":"ACTIVE"}]}""")]
    public async Task An_organisation_that_lists_accounts_but_keeps_none_is_an_error_never_an_empty_sweep(string page)
    {
        var fake = new FakeOrganizations(page);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new OrganizationAccountLister(Client(fake)).ListActiveAsync(CancellationToken.None));

        Assert.Contains("none is ACTIVE", error.Message, StringComparison.Ordinal);
        Assert.Contains("no member account was swept", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_without_accounts_leaves_Accounts_null_as_the_SDK_does_and_the_lister_reads_it_as_empty()
    {
        var fake = new FakeOrganizations("{}");

        Assert.Null((await Client(fake).ListAccountsAsync(new())).Accounts);
        Assert.Empty(await new OrganizationAccountLister(Client(fake)).ListActiveAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_one_global_endpoint_is_signed_for_us_east_1_whatever_the_functions_region()
    {
        var fake = new FakeOrganizations("{}");

        await Client(fake).ListAccountsAsync(new());

        Assert.Equal("organizations.us-east-1.amazonaws.com", fake.Hosts.Single());
    }

    [Fact]
    public async Task A_refusal_is_an_exception_naming_the_services_error_code()
    {
        var fake = new FakeOrganizations("{}") { Status = HttpStatusCode.BadRequest };

        var error = await Assert.ThrowsAsync<AmazonOrganizationsException>(() => Client(fake).ListAccountsAsync(new()));

        Assert.Equal("AccessDeniedException", error.ErrorCode);
        Assert.Single(fake.Requests);
    }
}
