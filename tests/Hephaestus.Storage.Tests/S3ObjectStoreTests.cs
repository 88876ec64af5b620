using System.Net;
using System.Net.Sockets;
using Amazon.S3.Model;
using Hephaestus.Testing;

namespace Hephaestus.Storage.Tests;

/// <summary>
/// The contract on the S3 store against a real S3-protocol server (s3rver on 127.0.0.1), each test in a bucket of its
/// own. Parts of 1 MiB here (8 MiB in service) so that the multipart path runs on bodies of a few MiB.
/// </summary>
public sealed class S3ObjectStoreTests : ObjectStoreContract
{
    const int TestPartBytes = 1024 * 1024;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override bool Presigns => true;

    protected override async Task<IObjectStore> NewStoreAsync()
    {
        var server = await TestS3.GetAsync();
        return new S3ObjectStore(await server.CreateBucketAsync(), TestPartBytes);
    }

    protected override async Task<IReadOnlyList<string>> LeftoversAsync(IObjectStore store)
    {
        var server = await TestS3.GetAsync();
        var listed = await server.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = ((S3ObjectStore)store).Options.Bucket }, Ct);
        // Everything in the bucket that is not an object at its address.
        return (listed.S3Objects ?? []).Select(o => o.Key).Where(k => !k.StartsWith("sha256/", StringComparison.Ordinal)).ToList();
    }

    /// <summary>A crash between the copy to the address and the delete of the temporary leaves an `incoming/` object.</summary>
    protected override async Task AbandonTemporaryAsync(IObjectStore store)
    {
        var server = await TestS3.GetAsync();
        await server.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = ((S3ObjectStore)store).Options.Bucket,
            Key = "incoming/" + Guid.NewGuid().ToString("N"),
            ContentBody = "half a body",
            UseChunkEncoding = false,
        }, Ct);
    }

    [Fact]
    public async Task An_existing_bucket_is_available()
    {
        var store = (S3ObjectStore)await NewStoreAsync();
        await store.CheckAvailableAsync(Ct);
    }

    [Fact]
    public async Task A_missing_bucket_is_unavailable_and_says_so()
    {
        var server = await TestS3.GetAsync();
        using var store = new S3ObjectStore(new S3StoreOptions(server.ServiceUrl, "no-such-bucket", "us-east-1", TestS3.AccessKeyId, TestS3.SecretAccessKey));

        var unavailable = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.CheckAvailableAsync(Ct));

        Assert.Contains("no-such-bucket", unavailable.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", unavailable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_that_refuses_connections_is_unavailable()
    {
        using var store = new S3ObjectStore(new S3StoreOptions(new Uri($"http://127.0.0.1:{ClosedPort()}"), "any", "us-east-1", TestS3.AccessKeyId, TestS3.SecretAccessKey));

        var unavailable = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.CheckAvailableAsync(Ct));

        Assert.Contains("does not answer", unavailable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_never_print_the_secret()
    {
        var options = new S3StoreOptions(new Uri("http://127.0.0.1:9000"), "bucket", "us-east-1", "AKIDEXAMPLE", "very-secret-key");
        Assert.DoesNotContain("very-secret-key", options.ToString(), StringComparison.Ordinal);
    }

    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
