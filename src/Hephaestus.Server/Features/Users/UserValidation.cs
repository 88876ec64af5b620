using System.Text.Json;
using System.Text.RegularExpressions;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Users;

internal static partial class UserValidation
{
    public const int MaxProfileBytes = 64 * 1024;

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    // BCP 47 shape: language, then subtags (script, region, variants). Checked by shape, not against a registry.
    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LocaleShape();

    public static void Email(Validation v, string field, string? email, bool required)
    {
        if (email is null)
        {
            if (required) v.Add(field, "is required");
            return;
        }

        if (email.Length > 320 || !EmailShape().IsMatch(email)) v.Add(field, "must be an email address like name@example.org");
    }

    public static void Locale(Validation v, string? locale)
    {
        if (locale is not null && (locale.Length > 35 || !LocaleShape().IsMatch(locale)))
        {
            v.Add("locale", "must be a BCP 47 language tag such as 'en' or 'pt-BR'");
        }
    }

    public static void TimeZone(Validation v, string? timeZone)
    {
        if (timeZone is not null && (timeZone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _)))
        {
            v.Add("timeZone", "must be an IANA time zone such as 'UTC' or 'Europe/Paris'");
        }
    }

    public static void Roles(Validation v, string[]? roles)
    {
        if (roles is null) return;
        if (roles.Length == 0) v.Add("roles", "must name at least one role");
        for (var i = 0; i < roles.Length; i++)
        {
            if (!Role.All.Contains(roles[i])) v.Add($"roles[{i}]", $"'{roles[i]}' is not a role; roles are {string.Join(", ", Role.All)}");
        }

        if (roles.Distinct(StringComparer.Ordinal).Count() != roles.Length) v.Add("roles", "must not repeat a role");
    }

    /// <summary>The profile evolves freely, but its well-known parts have a shape, and its size is bounded.</summary>
    public static void Profile(Validation v, JsonElement? profile)
    {
        if (profile is not { } p) return;
        if (p.ValueKind != JsonValueKind.Object)
        {
            v.Add("profile", "must be a JSON object");
            return;
        }

        if (p.GetRawText().Length > MaxProfileBytes) v.Add("profile", $"must be at most {MaxProfileBytes} bytes");
        Expect(v, p, "preferences", JsonValueKind.Object);
        Expect(v, p, "accessibility", JsonValueKind.Object);
        Expect(v, p, "goals", JsonValueKind.Array);
    }

    static void Expect(Validation v, JsonElement profile, string property, JsonValueKind kind)
    {
        if (profile.TryGetProperty(property, out var value) && value.ValueKind != kind)
        {
            v.Add($"profile.{property}", $"must be a JSON {kind.ToString().ToLowerInvariant()}");
        }
    }

    public static Validation Create(CreateUserRequest r)
    {
        var v = new Validation();
        v.Text("externalSubject", r.ExternalSubject, 1, 255);
        Email(v, "email", r.Email, required: true);
        v.Text("displayName", r.DisplayName, 1, 200);
        Locale(v, r.Locale);
        TimeZone(v, r.TimeZone);
        Roles(v, r.Roles);
        Profile(v, r.Profile);
        return v;
    }

    public static Validation Update(UpdateUserRequest r)
    {
        var v = new Validation();
        v.Text("externalSubject", r.ExternalSubject, 1, 255, required: false);
        Email(v, "email", r.Email, required: false);
        v.Text("displayName", r.DisplayName, 1, 200, required: false);
        Locale(v, r.Locale);
        TimeZone(v, r.TimeZone);
        Roles(v, r.Roles);
        Profile(v, r.Profile);
        return v;
    }
}
