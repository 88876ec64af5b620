using System.Text.Json;
using Hephaestus.Data.Identity;

namespace Hephaestus.Server.Features.Users;

public sealed record UserResponse(
    Guid Id,
    string ExternalSubject,
    string Email,
    string DisplayName,
    string Locale,
    string TimeZone,
    string[] Roles,
    JsonElement Profile,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The user as the API shows it; its version travels as the ETag, not in the body.</summary>
    public static UserResponse From(UserRecord u)
    {
        ArgumentNullException.ThrowIfNull(u);
        return new UserResponse(u.Id, u.ExternalSubject, u.Email, u.DisplayName, u.Locale, u.TimeZone, u.Roles, u.Profile, u.CreatedAt, u.UpdatedAt);
    }
}

public sealed record CreateUserRequest(
    string ExternalSubject,
    string Email,
    string DisplayName,
    string? Locale = null,
    string? TimeZone = null,
    string[]? Roles = null,
    JsonElement? Profile = null);

/// <summary>Fields left out (or null) stay as they are; <c>profile</c>, when given, replaces the whole profile object.</summary>
public sealed record UpdateUserRequest(
    string? Email = null,
    string? DisplayName = null,
    string? Locale = null,
    string? TimeZone = null,
    string[]? Roles = null,
    JsonElement? Profile = null,
    string? ExternalSubject = null);

