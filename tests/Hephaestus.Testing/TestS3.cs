using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hephaestus.Storage;

namespace Hephaestus.Testing;

/// <summary>
/// The S3-protocol server of a test run: `s3rver` (npm) on 127.0.0.1, on a port it picks, over a temporary directory,
/// started once per test process on first use and stopped by <see cref="TestS3Lifetime"/>. Not installed is a failure
/// that says how to install it, never a skip. Each test asks for a bucket of its own (<see cref="CreateBucketAsync"/>),
/// so listings and clean-ups of parallel tests never meet.
/// </summary>
public sealed partial class TestS3
{
    /// <summary>A path to the s3rver executable, overriding the search (repository-local install, then PATH).</summary>
    public const string EnvironmentVariable = "HEPHAESTUS_S3RVER";

    /// <summary>s3rver's fixed credentials.</summary>
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);
    static Task<TestS3>? _instance;

    readonly Process _process;
    readonly string _directory;
    readonly AmazonS3Client _admin;

    TestS3(Process process, string directory, Uri serviceUrl)
    {
        _process = process;
        _directory = directory;
        ServiceUrl = serviceUrl;
        _admin = new AmazonS3Client(new BasicAWSCredentials(AccessKeyId, SecretAccessKey), new AmazonS3Config
        {
            ServiceURL = serviceUrl.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public Uri ServiceUrl { get; }

    /// <summary>A client with s3rver's credentials, for tests that look behind a store (temporaries, raw keys).</summary>
    public IAmazonS3 Client => _admin;

    public static Task<TestS3> GetAsync() => LazyInitializer.EnsureInitialized(ref _instance, StartAsync);

    /// <summary>A new empty bucket and the store options that reach it.</summary>
    public async Task<S3StoreOptions> CreateBucketAsync()
    {
        var bucket = "t-" + Guid.NewGuid().ToString("N")[..20];
        await _admin.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return new S3StoreOptions(ServiceUrl, bucket, "us-east-1", AccessKeyId, SecretAccessKey);
    }

    static async Task<TestS3> StartAsync()
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            "The S3-protocol test server s3rver is not installed. From the repository root run `npm ci --prefix tests/s3rver` " +
            "(Node.js and npm first if missing: `apt-get install -y nodejs npm`); .ci/run does both. Or set " +
            $"{EnvironmentVariable} to an s3rver executable.");
        var directory = Path.Combine(Path.GetTempPath(), "hephaestus-s3-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Port 0: s3rver binds a free port and prints it, so parallel test processes never race for one.
        foreach (var arg in new[] { "--directory", directory, "--address", "127.0.0.1", "--port", "0", "--silent" }) start.ArgumentList.Add(arg);

        var process = new Process { StartInfo = start };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => Observe(e.Data);
        process.ErrorDataReceived += (_, e) => Observe(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"s3rver ({executable}) exited at start: {Output()}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => HelperProcess.StopQuietly(process, directory, "s3rver");

        Uri serviceUrl;
        try
        {
            serviceUrl = await listening.Task.WaitAsync(StartBound);
        }
        catch
        {
            HelperProcess.StopQuietly(process, directory, "s3rver");
            throw;
        }

        var server = new TestS3(process, directory, serviceUrl);
        await server._admin.ListBucketsAsync(); // it answers S3 requests, not only accepts connections
        return server;

        void Observe(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri($"http://127.0.0.1:{match.Groups["port"].Value}"));
            }
        }

        string Output()
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>HEPHAESTUS_S3RVER, else `tests/s3rver/node_modules/.bin/s3rver` above the test binaries, else PATH.</summary>
    static string? FindExecutable()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var local = Path.Combine(folder.FullName, "tests", "s3rver", "node_modules", ".bin", "s3rver");
            if (File.Exists(local)) return local;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "s3rver"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Stops this process's s3rver, if it started one, and deletes its directory (see <see cref="TestS3Lifetime"/>).</summary>
    public static async Task StopIfStartedAsync()
    {
        if (_instance is null) return;
        TestS3 server;
        try
        {
            server = await _instance;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            return; // it never started: the tests that needed it failed with the reason
        }

        server._admin.Dispose();
        await Task.Run(() => HelperProcess.StopQuietly(server._process, server._directory, "s3rver"));
    }

    [GeneratedRegex(@"S3rver listening on [^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>
/// An assembly fixture (<c>[assembly: AssemblyFixture(typeof(TestS3Lifetime))]</c>) that stops the test run's s3rver when
/// the project's tests are done, if any test started it.
/// </summary>
public sealed class TestS3Lifetime : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await TestS3.StopIfStartedAsync();
}
