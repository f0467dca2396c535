// Stands in for the NuGet package Amazon.Lambda.Core, which this project's registry does not serve. Same namespace
// and member names (ILambdaContext, ILambdaLogger), so the swap is: delete this folder, add the package.
namespace Amazon.Lambda.Core;

public interface ILambdaLogger
{
    void Log(string message);

    void LogLine(string message);
}

public interface ILambdaContext
{
    string AwsRequestId { get; }

    string FunctionName { get; }

    string FunctionVersion { get; }

    string InvokedFunctionArn { get; }

    int MemoryLimitInMB { get; }

    TimeSpan RemainingTime { get; }

    string LogGroupName { get; }

    string LogStreamName { get; }

    ILambdaLogger Logger { get; }
}
