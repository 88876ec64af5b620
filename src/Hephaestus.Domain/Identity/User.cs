namespace Hephaestus.Domain.Identity;

/// <summary>A person known to the platform. The id is the learner id every learner-scoped table carries.</summary>
public sealed class User
{
    public Guid Id { get; set; }

    /// <summary>Subject ("sub" claim) issued by the identity provider; the link between a token and this row.</summary>
    public required string ExternalSubject { get; set; }

    public required string Email { get; set; }
    public required string DisplayName { get; set; }

    /// <summary>BCP 47 language tag, e.g. "en-GB".</summary>
    public string Locale { get; set; } = "en";

    /// <summary>IANA time zone, e.g. "Europe/Paris".</summary>
    public string TimeZone { get; set; } = "UTC";

    public string[] Roles { get; set; } = [Role.Learner];

    /// <summary>Evolving attributes (preferences, goals, accessibility needs) as a JSON object; queried by containment.</summary>
    public string Profile { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>PostgreSQL's xmin: changes on every update, so it serves as the ETag and the optimistic concurrency token.</summary>
    public uint Version { get; set; }
}

public static class Role
{
    public const string Learner = "learner";
    public const string Educator = "educator";
    public const string Author = "author";
    public const string Analyst = "analyst";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Learner, Educator, Author, Analyst, Admin];
}
