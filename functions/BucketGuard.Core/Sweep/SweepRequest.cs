using System.Collections.Immutable;
using System.Text.Json;
using BucketGuard.Core.Json;
using BucketGuard.Core.Reports;

namespace BucketGuard.Core.Sweep;

/// <summary>What one sweep invocation is asked to do: an account (from where it stopped), then the member accounts of an
/// organisation roll-out in order. An unfinished sweep answers with the request that resumes it.</summary>
/// <param name="MemberAccounts">From the template's schedule input, "111122223333,444455556666" (a JSON list works too).</param>
public sealed record SweepRequest(string? Account, string? ContinueAfter, ImmutableArray<string> MemberAccounts)
{
    /// <summary>A request that resumes an unfinished sweep ("resumed": true in its answer): its member list is final,
    /// even when empty, and is never replaced by the organisation's account list.</summary>
    public bool Resumed { get; init; }

    /// <summary>Reads {"account", "continueAfter", "memberAccounts"}; anything else in the input (a scheduled event's
    /// envelope) is ignored, and input that is not JSON sweeps the function's own account.</summary>
    public static SweepRequest Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out _))
        {
            return new SweepRequest(null, null, []);
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new SweepRequest(null, null, []);
            }

            var members = root.TryGet("memberAccounts", out var list)
                ? list.ValueKind == JsonValueKind.String
                    ? list.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                    : list.Strings() ?? []
                : [];
            return new SweepRequest(root.TextOf("account"), root.TextOf("continueAfter"), [.. members])
            {
                Resumed = root.TryGet("resumed", out var resumed) && resumed.Bool() == true,
            };
        }
    }

    /// <summary>The accounts in the order they are swept: the named one first, each member once.</summary>
    public ImmutableArray<string?> Accounts => [Account, .. MemberAccounts.Where(a => a != Account).Distinct(StringComparer.Ordinal)];
}

public sealed record AccountSweep(string? Account, SweepReport Report);

/// <summary>One invocation's sweep over one or more accounts; Resume is null when every account was finished.</summary>
public sealed record MultiAccountSweepReport(ImmutableArray<AccountSweep> Accounts, SweepRequest? Resume)
{
    public bool Completed => Resume is null;

    public int Seen => Accounts.Sum(a => a.Report.Seen);

    public int Locked => Accounts.Sum(a => a.Report.Locked);

    public int Errors => Accounts.Sum(a => a.Report.Errors);

    /// <summary>The invocation's answer: totals, each account's summary, and the fields that resume it
    /// (account, continueAfter, memberAccounts), so that invoking the sweep with this answer carries on where it stopped.</summary>
    public string Document(SweepRequest request)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteNumber("version", 1);
            w.WriteString("event", "sweep");
            w.WriteBoolean("completed", Completed);
            w.WriteNumber("seen", Seen);
            w.WriteNumber("public", Accounts.Sum(a => a.Report.Public));
            w.WriteNumber("locked", Locked);
            w.WriteNumber("exempted", Accounts.Sum(a => a.Report.Exempted));
            w.WriteNumber("expiring", Accounts.Sum(a => a.Report.Expiring));
            w.WriteNumber("errors", Errors);
            w.WriteString("account", Resume?.Account ?? request.Account);
            w.WriteString("continueAfter", Resume?.ContinueAfter);
            w.WriteString("memberAccounts", string.Join(',', Resume?.MemberAccounts ?? []));
            w.WriteBoolean("resumed", Resume is not null);
            w.WriteStartArray("accounts");
            foreach (var account in Accounts)
            {
                w.WriteRawValue(Notifications.Summary(account.Report, account.Account).Document);
            }

            w.WriteEndArray();
        });

        return json;
    }
}
