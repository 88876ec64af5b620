using Hephaestus.Storage;

namespace Hephaestus.Server.Hosting;

/// <summary>
/// The object store for content bodies (ADR-004): the local filesystem by default, beside the embedded data directory
/// (Storage:Path overrides), or an S3-compatible bucket (Storage:Kind=s3, Storage:S3:*). One instance per process,
/// checked at start: a bucket that does not answer stops the service with the reason, as an unreachable database does.
/// </summary>
public static class StorageHosting
{
    public static IHostApplicationBuilder AddHephaestusStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IObjectStore>(_ => Create(builder.Configuration));
        builder.Services.AddHostedService<StorageCheck>();
        // What content bodies may be (media types, size) and how they are delivered (presigned URLs): the Content section.
        builder.Services.AddSingleton(ContentOptions.From(builder.Configuration));
        return builder;
    }

    public static IObjectStore Create(IConfiguration configuration)
    {
        var kind = configuration["Storage:Kind"] ?? "filesystem";
        return kind switch
        {
            "filesystem" => new FileSystemObjectStore(configuration["Storage:Path"] ?? DefaultPath(configuration)),
            "s3" => new S3ObjectStore(S3Options(configuration.GetSection("Storage:S3"))),
            _ => throw new InvalidOperationException($"Storage:Kind is '{kind}'; it is 'filesystem' (the default) or 's3'."),
        };
    }

    /// <summary>Storage:S3:ServiceUrl and Bucket are required; no keys means the SDK's default credential chain.</summary>
    internal static S3StoreOptions S3Options(IConfiguration s3)
    {
        string Required(string name) => s3[name] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Storage:Kind is 's3' but Storage:S3:{name} is not set (docs/operations.md, Object storage).");

        var serviceUrl = Required("ServiceUrl");
        if (!Uri.TryCreate(serviceUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"Storage:S3:ServiceUrl '{serviceUrl}' is not an http(s) URL.");
        }

        var accessKeyId = s3["AccessKeyId"] is { Length: > 0 } key ? key : null;
        var secretAccessKey = s3["SecretAccessKey"] is { Length: > 0 } secret ? secret : null;
        if ((accessKeyId is null) != (secretAccessKey is null))
        {
            throw new InvalidOperationException("Storage:S3:AccessKeyId and Storage:S3:SecretAccessKey go together: set both, or neither for the SDK's default credential chain.");
        }

        return new S3StoreOptions(url, Required("Bucket"), s3["Region"] is { Length: > 0 } region ? region : "us-east-1",
            accessKeyId, secretAccessKey, s3.GetValue("ForcePathStyle", true));
    }

    /// <summary>`objects` beside the embedded data directory (`.hephaestus/objects` by default).</summary>
    static string DefaultPath(IConfiguration configuration)
    {
        var data = Path.GetFullPath(configuration["Embedded:DataDirectory"] ?? Path.Combine(".hephaestus", "postgres"));
        return Path.Combine(Path.GetDirectoryName(data) ?? data, "objects");
    }
}

/// <summary>Fails the start when the store does not answer (the bucket is missing, the keys are refused, nothing listens).</summary>
sealed class StorageCheck(IObjectStore store) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.CheckAvailableAsync(cancellationToken);
        }
        catch (ObjectStoreUnavailableException e)
        {
            var settings = store is S3ObjectStore ? "Storage:S3:ServiceUrl, Bucket, Region and the credentials" : "Storage:Path";
            // Without the SDK's exception inside: the start failure prints every inner message, and its add nothing.
            throw new InvalidOperationException($"Object storage is unavailable: {e.Message} Check {settings} (docs/operations.md, Object storage).");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
