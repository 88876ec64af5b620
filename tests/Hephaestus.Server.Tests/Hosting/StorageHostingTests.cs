using System.Net;
using Hephaestus.Server.Hosting;
using Hephaestus.Storage;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Hosting;

/// <summary>
/// Storage:Kind=s3 against a real S3-protocol server (s3rver): the service uses the bucket, refuses to start when it does
/// not answer (as it does for the database), and readiness reports a bucket that went away.
/// </summary>
public sealed class StorageHostingTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    WebApplicationFactory<Program> ServiceOn(S3StoreOptions s3) =>
        db.Api.WithWebHostBuilder(b => b
            .UseSetting("Storage:Kind", "s3")
            .UseSetting("Storage:S3:ServiceUrl", s3.ServiceUrl.ToString())
            .UseSetting("Storage:S3:Bucket", s3.Bucket)
            .UseSetting("Storage:S3:Region", s3.Region)
            .UseSetting("Storage:S3:AccessKeyId", s3.AccessKeyId)
            .UseSetting("Storage:S3:SecretAccessKey", s3.SecretAccessKey));

    [Fact]
    public async Task With_storage_kind_s3_the_service_stores_in_the_bucket_and_is_ready()
    {
        var s3 = await (await TestS3.GetAsync()).CreateBucketAsync();
        await using var service = ServiceOn(s3);

        var ready = await service.CreateClient().GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", (await Json.ReadAsync(ready)).GetProperty("storage").GetString());
        var store = Assert.IsType<S3ObjectStore>(service.Services.GetRequiredService<IObjectStore>());
        Assert.Equal(s3.Bucket, store.Options.Bucket);
        Assert.True(store.Options.ForcePathStyle);
    }

    [Fact]
    public async Task A_bucket_that_does_not_answer_stops_the_start_with_the_reason_and_exit_code_1()
    {
        var s3 = await (await TestS3.GetAsync()).CreateBucketAsync();
        var missing = "missing-" + Guid.NewGuid().ToString("N")[..12];
        var folder = Directory.CreateTempSubdirectory("hephaestus-storage-start-");
        try
        {
            var (exitCode, output) = await HephaestusProcess.RunAsync(new Dictionary<string, string>
            {
                ["ConnectionStrings__Hephaestus"] = db.AppConnectionString,
                ["ConnectionStrings__HephaestusOwner"] = db.OwnerConnectionString,
                ["Auth__SigningKey"] = TestDatabase.SigningKeyBase64,
                ["Urls"] = "http://127.0.0.1:0",
                ["Storage__Kind"] = "s3",
                ["Storage__S3__ServiceUrl"] = s3.ServiceUrl.ToString(),
                ["Storage__S3__Bucket"] = missing,
                ["Storage__S3__AccessKeyId"] = TestS3.AccessKeyId,
                ["Storage__S3__SecretAccessKey"] = TestS3.SecretAccessKey,
            }, folder.FullName, TimeSpan.FromMinutes(2));

            Assert.Equal(1, exitCode);
            Assert.Contains($"hephaestus: Object storage is unavailable: S3 bucket '{missing}' at {s3.ServiceUrl}: the bucket does not exist", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // a message, not a stack trace
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_bucket_that_goes_away_after_the_start_makes_the_service_not_ready()
    {
        var server = await TestS3.GetAsync();
        var s3 = await server.CreateBucketAsync();
        await using var service = ServiceOn(s3);
        var client = service.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);

        await server.Client.DeleteBucketAsync(s3.Bucket, Ct);

        var ready = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.NotNull(ready.Headers.RetryAfter);
        var body = await Json.ReadAsync(ready);
        Assert.Equal("ok", body.GetProperty("database").GetString());
        Assert.Contains("does not exist", body.GetProperty("storage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedded_default_reports_its_directory_as_storage()
    {
        var ready = await db.Api.CreateClient().GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", (await Json.ReadAsync(ready)).GetProperty("storage").GetString());
        Assert.IsType<FileSystemObjectStore>(db.Api.Services.GetRequiredService<IObjectStore>());
    }

    [Theory]
    [InlineData("Bucket", "Storage:S3:Bucket is not set")]
    [InlineData("ServiceUrl", "Storage:S3:ServiceUrl is not set")]
    [InlineData("SecretAccessKey", "go together")]
    public void Incomplete_s3_settings_are_refused_naming_the_setting(string left, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ServiceUrl"] = "http://127.0.0.1:9000",
            ["Bucket"] = "content",
            ["AccessKeyId"] = "key",
            ["SecretAccessKey"] = "secret",
        };
        settings.Remove(left);

        var refused = Assert.Throws<InvalidOperationException>(() => StorageHosting.S3Options(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_keys_the_sdk_default_credential_chain_is_used_and_path_style_is_the_default()
    {
        var options = StorageHosting.S3Options(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ServiceUrl"] = "https://s3.eu-west-1.amazonaws.com",
            ["Bucket"] = "content",
            ["Region"] = "eu-west-1",
        }).Build());

        Assert.Null(options.AccessKeyId);
        Assert.Null(options.SecretAccessKey);
        Assert.True(options.ForcePathStyle);
        Assert.Equal("eu-west-1", options.Region);
    }
}
