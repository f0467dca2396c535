using Amazon.Macie2;
using Amazon.Macie2.Model;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Aws;

/// <summary>A bucket's sensitivity score from Amazon Macie's automated sensitive data discovery (GetResourceProfile on
/// arn:PARTITION:s3:::BUCKET). Asked in BucketGuard's own account, which for an organisation's buckets must be Macie's
/// delegated administrator (Macie User Guide, "Managing multiple accounts"): the administrator sees its members'
/// buckets' profiles. No profile (ResourceNotFoundException: not analysed, or discovery off) is no score.</summary>
public sealed class MacieBucketSensitivity(IAmazonMacie2 macie, string partition = "aws") : IBucketSensitivity
{
    public async Task<SensitivityScore?> ScoreAsync(string bucket, string? account, CancellationToken cancellationToken)
    {
        try
        {
            var profile = await macie.GetResourceProfileAsync(new GetResourceProfileRequest { ResourceArn = $"arn:{partition}:s3:::{bucket}" }, cancellationToken).ConfigureAwait(false);
            return profile.SensitivityScore is { } score
                ? new SensitivityScore(score, profile.SensitivityScoreOverridden == true, profile.ProfileUpdatedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null)
                : null;
        }
        catch (AmazonMacie2Exception ex) when (ex.ErrorCode == "ResourceNotFoundException")
        {
            return null;
        }
    }
}
