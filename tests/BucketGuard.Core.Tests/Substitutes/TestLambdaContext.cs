// Stands in for the NuGet package Amazon.Lambda.TestUtilities, which this project's registry does not serve:
// same namespace and type names (TestLambdaContext, TestLambdaLogger with its Buffer), so the swap is
// deleting this file and adding the package.
using System.Text;
using Amazon.Lambda.Core;

namespace Amazon.Lambda.TestUtilities;

public sealed class TestLambdaLogger : ILambdaLogger
{
    public StringBuilder Buffer { get; } = new();

    public void Log(string message) => Buffer.Append(message);

    public void LogLine(string message) => Buffer.AppendLine(message);
}

public sealed class TestLambdaContext : ILambdaContext
{
    public string AwsRequestId { get; set; } = Guid.NewGuid().ToString();

    public string FunctionName { get; set; } = "bucketguard-test";

    public string FunctionVersion { get; set; } = "$LATEST";

    public string InvokedFunctionArn { get; set; } = "arn:aws:lambda:us-east-1:111122223333:function:bucketguard-test";

    public int MemoryLimitInMB { get; set; } = 512;

    public TimeSpan RemainingTime { get; set; } = TimeSpan.FromSeconds(30);

    public string LogGroupName { get; set; } = "/aws/lambda/bucketguard-test";

    public string LogStreamName { get; set; } = "test";

    public ILambdaLogger Logger { get; set; } = new TestLambdaLogger();
}
