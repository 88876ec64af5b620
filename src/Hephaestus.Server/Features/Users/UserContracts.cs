using System.Text.Json;

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
    DateTimeOffset UpdatedAt);

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

