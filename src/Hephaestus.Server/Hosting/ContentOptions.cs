namespace Hephaestus.Server.Hosting;

/// <summary>The `Content` configuration section: what bodies may be uploaded and how they are delivered.</summary>
public sealed class ContentOptions
{
    /// <summary>The largest body an upload may send (default 2 GiB); the store refuses more as it streams.</summary>
    public long MaxBodyBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The media types a body may have (the upload's Content-Type, and a version's mediaType).</summary>
    public string[] MediaTypes { get; set; } =
    [
        "text/markdown", "text/html", "text/plain", "text/csv", "application/json", "application/pdf",
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml",
        "audio/mpeg", "audio/ogg", "audio/wav", "video/mp4", "video/webm", "text/vtt",
    ];

    /// <summary>How long a presigned URL (S3 stores) stays valid.</summary>
    public TimeSpan PresignedUrlLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Redirect body downloads to presigned URLs even without ?redirect=true (S3 stores only).</summary>
    public bool RedirectByDefault { get; set; }

    public static ContentOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Content");
        var options = new ContentOptions();
        // Bound by hand: binding an array appends to the default list, and a configured list must replace it.
        if (section.GetSection(nameof(MediaTypes)).Get<string[]>() is { Length: > 0 } types) options.MediaTypes = types;
        options.MaxBodyBytes = section.GetValue(nameof(MaxBodyBytes), options.MaxBodyBytes);
        options.PresignedUrlLifetime = section.GetValue(nameof(PresignedUrlLifetime), options.PresignedUrlLifetime);
        options.RedirectByDefault = section.GetValue(nameof(RedirectByDefault), options.RedirectByDefault);
        return options;
    }

    /// <summary>The media type without parameters, lowercased, when it is one of <see cref="MediaTypes"/>; else null.</summary>
    public string? Allowed(string? contentType)
    {
        if (contentType is null) return null;
        var bare = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return MediaTypes.Contains(bare, StringComparer.OrdinalIgnoreCase) ? bare : null;
    }
}
