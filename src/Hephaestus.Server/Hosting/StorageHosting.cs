using Hephaestus.Storage;

namespace Hephaestus.Server.Hosting;

/// <summary>
/// The object store for content bodies (ADR-004): the local filesystem by default, beside the embedded data directory
/// (Storage:Path overrides). One instance per process.
/// </summary>
public static class StorageHosting
{
    public static IHostApplicationBuilder AddHephaestusStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IObjectStore>(_ => Create(builder.Configuration));
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
            _ => throw new InvalidOperationException($"Storage:Kind is '{kind}'; it is 'filesystem' (the default) or 's3'."),
        };
    }

    /// <summary>`objects` beside the embedded data directory (`.hephaestus/objects` by default).</summary>
    static string DefaultPath(IConfiguration configuration)
    {
        var data = Path.GetFullPath(configuration["Embedded:DataDirectory"] ?? Path.Combine(".hephaestus", "postgres"));
        return Path.Combine(Path.GetDirectoryName(data) ?? data, "objects");
    }
}
