using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Hephaestus.Data.Xapi;

/// <summary>
/// An xAPI agent as a document names it: exactly one inverse functional identifier (the edge checks that). Documents are
/// kept per IFI, as the specification addresses them; <see cref="Ifi"/> is that key.
/// </summary>
public sealed record XapiAgentIdentity(string? Mbox, string? MboxSha1Sum, string? OpenId, string? AccountHomePage, string? AccountName)
{
    public string Ifi => Mbox is not null ? "mbox:" + Mbox
        : MboxSha1Sum is not null ? "mbox_sha1sum:" + MboxSha1Sum
        : OpenId is not null ? "openid:" + OpenId
        : $"account:{AccountHomePage} {AccountName}";

    /// <summary>The email an mbox names (its mailto: removed); null for the other identifiers.</summary>
    public string? Email => Mbox?.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) == true ? Mbox[7..] : null;
}

/// <summary>Who asks, as the document rules need it: the actor, a provider's learner scope (a cohort), and this service's account home page.</summary>
public sealed record XapiDocumentCaller(Actor Actor, Guid? LearnerScope, string AccountHomePage)
{
    public bool IsProvider => Actor.Has(XapiCredentialStore.ProviderRole);
}

public enum XapiDocumentKind { State, ActivityProfile, AgentProfile }

/// <summary>Where a document lives: its resource, activity (not for agent profiles), agent (not for activity profiles), registration (state only).</summary>
public sealed record XapiDocumentAddress(XapiDocumentKind Kind, string ActivityId, XapiAgentIdentity? Agent, Guid? Registration);

/// <summary>
/// If-Match and If-None-Match as lists of entity tags without quotes (or "*"); null when the header was not sent.
/// </summary>
public sealed record XapiPreconditions(IReadOnlyList<string>? IfMatch, IReadOnlyList<string>? IfNoneMatch)
{
    public static readonly XapiPreconditions None = new(null, null);

    public bool Any => IfMatch is not null || IfNoneMatch is not null;

    /// <summary>RFC 9110's evaluation against the current ETag (null: no document).</summary>
    public bool Hold(string? current) =>
        (IfMatch is null || (current is not null && (IfMatch.Contains("*") || IfMatch.Contains(current))))
        && (IfNoneMatch is null || current is null || !(IfNoneMatch.Contains("*") || IfNoneMatch.Contains(current)));
}

/// <summary>A PUT (replace) or POST (merge when both are JSON objects) of a document's body.</summary>
public sealed record XapiDocumentWrite(byte[] Body, string ContentType, bool Merge, XapiPreconditions Preconditions);

public sealed record XapiDocument(string ContentType, byte[] Body, string ETag, DateTimeOffset Updated);

public enum XapiDocumentOutcome
{
    Done,
    NotFound,
    /// <summary>The caller may not touch this agent's documents (another learner's, or outside a provider's cohort).</summary>
    Forbidden,
    /// <summary>If-Match or If-None-Match failed: 412.</summary>
    PreconditionFailed,
    /// <summary>A PUT over an existing profile document without If-Match or If-None-Match: 409.</summary>
    PreconditionMissing,
    /// <summary>A POST merge where either document is not a JSON object: 400.</summary>
    NotMergeable,
}

public sealed record XapiDocumentResult(XapiDocumentOutcome Outcome, XapiDocument? Document = null);

public sealed record XapiDocumentIds(XapiDocumentOutcome Outcome, IReadOnlyList<string> Ids, DateTimeOffset? LastModified);

/// <summary>
/// The State, Activity Profile and Agent Profile resources of the LRS: documents stored whole (bytea), with the
/// specification's concurrency: the ETag is the SHA-1 of the body (as xAPI 1.0.3 required and 2.0 still allows, so a client
/// can compute it), If-Match / If-None-Match are checked under the document's lock, and a profile PUT over an existing
/// document without either is refused. Writers of one address queue on a transaction-level advisory lock of the address,
/// so two first PUTs of one document cannot both insert, and check-then-write is atomic.
/// </summary>
public static class XapiDocumentStore
{
    const string KeyWhere = """
        kind = $1 AND activity_id = $2 AND agent_ifi = $3
        AND coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce($4, '00000000-0000-0000-0000-000000000000'::uuid)
        """;

    const string LockAddress = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

    const string ReadOne = $"SELECT content_type, body, etag, updated_at FROM hephaestus.xapi_documents WHERE {KeyWhere} AND document_id = $5";

    const string ReadOneForUpdate = ReadOne + " FOR UPDATE";

    const string ReadIds = $"""
        SELECT document_id, updated_at FROM hephaestus.xapi_documents
        WHERE {KeyWhere} AND ($5::timestamptz IS NULL OR updated_at > $5) ORDER BY document_id
        """;

    const string InsertDocument = """
        INSERT INTO hephaestus.xapi_documents (kind, activity_id, agent_ifi, registration, document_id, user_id, content_type, body, etag, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp())
        """;

    const string UpdateDocument = $"""
        UPDATE hephaestus.xapi_documents SET content_type = $6, body = $7, etag = $8, updated_at = clock_timestamp()
        WHERE {KeyWhere} AND document_id = $5
        """;

    const string DeleteOne = $"DELETE FROM hephaestus.xapi_documents WHERE {KeyWhere} AND document_id = $5";

    const string DeleteEvery = $"DELETE FROM hephaestus.xapi_documents WHERE {KeyWhere}";

    public static async Task<XapiDocumentResult> GetAsync(NpgsqlDataSource db, XapiDocumentCaller caller, XapiDocumentAddress address, string documentId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        if ((await AccessAsync(scope, caller, address, write: false, ct)).Outcome is XapiDocumentOutcome.Forbidden) return new(XapiDocumentOutcome.Forbidden);
        var document = await ReadAsync(scope, ReadOne, address, documentId, ct);
        await scope.CommitAsync(ct);
        return document is null ? new(XapiDocumentOutcome.NotFound) : new(XapiDocumentOutcome.Done, document);
    }

    /// <summary>The ids of the documents at an address, changed after <paramref name="since"/> when given, and the latest change among them.</summary>
    public static async Task<XapiDocumentIds> ListIdsAsync(NpgsqlDataSource db, XapiDocumentCaller caller, XapiDocumentAddress address, DateTimeOffset? since, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        if ((await AccessAsync(scope, caller, address, write: false, ct)).Outcome is XapiDocumentOutcome.Forbidden) return new(XapiDocumentOutcome.Forbidden, [], null);
        await using var command = scope.Command(ReadIds);
        AddAddress(command.Parameters, address);
        command.Parameters.Add(SqlParameters.NullableTime(since));
        var ids = new List<string>();
        DateTimeOffset? latest = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetString(0));
                var updated = reader.GetFieldValue<DateTimeOffset>(1);
                if (latest is null || updated > latest) latest = updated;
            }
        }

        await scope.CommitAsync(ct);
        return new(XapiDocumentOutcome.Done, ids, latest);
    }

    /// <summary>
    /// PUT or POST of one document. <paramref name="requirePrecondition"/>: a PUT over an existing document needs If-Match
    /// or If-None-Match (the profile resources); state documents are overwritten without, as the specification allows and
    /// authoring tools expect (they PUT their suspend data on every page without reading it first).
    /// </summary>
    public static async Task<XapiDocumentResult> WriteAsync(NpgsqlDataSource db, XapiDocumentCaller caller, XapiDocumentAddress address, string documentId,
        XapiDocumentWrite write, bool requirePrecondition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(write);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        var (access, userId) = await AccessAsync(scope, caller, address, write: true, ct);
        if (access is XapiDocumentOutcome.Forbidden) return new(access);
        await LockAsync(scope, address, documentId, ct);
        var current = await ReadAsync(scope, ReadOneForUpdate, address, documentId, ct);
        if (!write.Preconditions.Hold(current?.ETag)) return new(XapiDocumentOutcome.PreconditionFailed, current);
        if (current is not null && requirePrecondition && !write.Merge && !write.Preconditions.Any) return new(XapiDocumentOutcome.PreconditionMissing, current);

        var (body, contentType) = (write.Body, write.ContentType);
        if (write.Merge && current is not null)
        {
            if (Merge(current, write) is not { } merged) return new(XapiDocumentOutcome.NotMergeable, current);
            body = merged;
        }

        var etag = ETagOf(body);
        await using (var command = scope.Command(current is null ? InsertDocument : UpdateDocument))
        {
            AddAddress(command.Parameters, address);
            command.Parameters.Add(SqlParameters.Text(documentId));
            if (current is null) command.Parameters.Add(SqlParameters.NullableUuid(userId));
            command.Parameters.Add(SqlParameters.Text(contentType));
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = body });
            command.Parameters.Add(SqlParameters.Text(etag));
            await command.ExecuteNonQueryAsync(ct);
        }

        var written = await ReadAsync(scope, ReadOne, address, documentId, ct);
        await scope.CommitAsync(ct);
        return new(XapiDocumentOutcome.Done, written);
    }

    /// <summary>Deletes one document, honouring If-Match; NotFound when there is none.</summary>
    public static async Task<XapiDocumentResult> DeleteAsync(NpgsqlDataSource db, XapiDocumentCaller caller, XapiDocumentAddress address, string documentId,
        XapiPreconditions preconditions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(preconditions);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        var (access, _) = await AccessAsync(scope, caller, address, write: true, ct);
        if (access is XapiDocumentOutcome.Forbidden) return new(access);
        await LockAsync(scope, address, documentId, ct);
        var current = await ReadAsync(scope, ReadOneForUpdate, address, documentId, ct);
        if (!preconditions.Hold(current?.ETag)) return new(XapiDocumentOutcome.PreconditionFailed, current);
        if (current is null) return new(XapiDocumentOutcome.NotFound);
        await using (var command = scope.Command(DeleteOne))
        {
            AddAddress(command.Parameters, address);
            command.Parameters.Add(SqlParameters.Text(documentId));
            await command.ExecuteNonQueryAsync(ct);
        }

        await scope.CommitAsync(ct);
        return new(XapiDocumentOutcome.Done);
    }

    /// <summary>Deletes every state document of an activity, agent and registration (the multiple-document DELETE).</summary>
    public static async Task<XapiDocumentOutcome> DeleteAllAsync(NpgsqlDataSource db, XapiDocumentCaller caller, XapiDocumentAddress address, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        var (access, _) = await AccessAsync(scope, caller, address, write: true, ct);
        if (access is XapiDocumentOutcome.Forbidden) return access;
        await using (var command = scope.Command(DeleteEvery))
        {
            AddAddress(command.Parameters, address);
            await command.ExecuteNonQueryAsync(ct);
        }

        await scope.CommitAsync(ct);
        return XapiDocumentOutcome.Done;
    }

    /// <summary>The ETag of a body: the lowercase hex SHA-1 of its bytes.</summary>
    public static string ETagOf(byte[] body) => Convert.ToHexStringLower(SHA1.HashData(body));

    /// <summary>
    /// Whether the caller may read or write at this address, and the user its agent names (stored with the document,
    /// for that user's row-level security and erasure). Admins and providers (a scoped provider only for its cohort's
    /// learners) reach any agent; any other user only their own agent (their mbox, its SHA-1, or their account here).
    /// Activity profiles name no agent: anyone signed in reads them; providers, admins and authors write them.
    /// </summary>
    static async Task<(XapiDocumentOutcome Outcome, Guid? UserId)> AccessAsync(
        ActorScope scope, XapiDocumentCaller caller, XapiDocumentAddress address, bool write, CancellationToken ct)
    {
        var actor = caller.Actor;
        var privileged = caller.IsProvider || actor.Has(Domain.Identity.Role.Admin);
        if (address.Agent is not { } agent)
        {
            return !write || privileged || actor.Has(Domain.Identity.Role.Author) ? (XapiDocumentOutcome.Done, null) : (XapiDocumentOutcome.Forbidden, null);
        }

        var userId = (await XapiAgents.FindAsync(scope, XapiAgents.UserKey(agent, caller.AccountHomePage), caller.IsProvider ? caller.LearnerScope : null, ct))?.Id;

        if (caller.IsProvider && caller.LearnerScope is not null) return userId is null ? (XapiDocumentOutcome.Forbidden, null) : (XapiDocumentOutcome.Done, userId);
        if (privileged) return (XapiDocumentOutcome.Done, userId);
        return userId == actor.UserId ? (XapiDocumentOutcome.Done, userId) : (XapiDocumentOutcome.Forbidden, null);
    }

    /// <summary>The specification's merge: the posted object's top-level properties replace the existing ones; null unless both are JSON objects.</summary>
    static byte[]? Merge(XapiDocument current, XapiDocumentWrite write)
    {
        if (!IsJson(current.ContentType) || !IsJson(write.ContentType)) return null;
        if (ParseObject(current.Body) is not { } existing || ParseObject(write.Body) is not { } posted) return null;
        foreach (var (name, value) in posted.ToList())
        {
            posted.Remove(name);
            existing[name] = value;
        }

        return Encoding.UTF8.GetBytes(existing.ToJsonString());
    }

    /// <summary>Whether a content type is application/json, whatever its parameters (charset) and case.</summary>
    public static bool IsJson(string contentType) =>
        contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    static JsonObject? ParseObject(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static async Task LockAsync(ActorScope scope, XapiDocumentAddress address, string documentId, CancellationToken ct)
    {
        await using var command = scope.Command(LockAddress);
        command.Parameters.Add(SqlParameters.Text(
            $"xapi-document\n{KindName(address.Kind)}\n{address.ActivityId}\n{address.Agent?.Ifi}\n{address.Registration}\n{documentId}"));
        await command.ExecuteNonQueryAsync(ct);
    }

    static async Task<XapiDocument?> ReadAsync(ActorScope scope, string sql, XapiDocumentAddress address, string documentId, CancellationToken ct)
    {
        await using var command = scope.Command(sql);
        AddAddress(command.Parameters, address);
        command.Parameters.Add(SqlParameters.Text(documentId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new XapiDocument(reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    static void AddAddress(NpgsqlParameterCollection parameters, XapiDocumentAddress address)
    {
        parameters.Add(SqlParameters.Text(KindName(address.Kind)));
        parameters.Add(SqlParameters.Text(address.Kind is XapiDocumentKind.AgentProfile ? "" : address.ActivityId));
        parameters.Add(SqlParameters.Text(address.Kind is XapiDocumentKind.ActivityProfile ? "" : address.Agent?.Ifi ?? ""));
        parameters.Add(SqlParameters.NullableUuid(address.Kind is XapiDocumentKind.State ? address.Registration : null));
    }

    static string KindName(XapiDocumentKind kind) => kind switch
    {
        XapiDocumentKind.State => "state",
        XapiDocumentKind.ActivityProfile => "activity_profile",
        _ => "agent_profile",
    };
}

/// <summary>A user's xAPI documents (state and agent profiles naming them), for their personal data export; bodies as text when JSON, else base64.</summary>
public sealed class XapiDocumentSection() : JsonSection("xapiDocuments", """
    SELECT coalesce(json_agg(json_build_object('resource', d.kind, 'activityId', nullif(d.activity_id, ''), 'agent', d.agent_ifi,
        'registration', d.registration, 'id', d.document_id, 'contentType', d.content_type, 'updated', d.updated_at,
        'body', CASE WHEN split_part(lower(d.content_type), ';', 1) = 'application/json' THEN convert_from(d.body, 'UTF8')
                     ELSE encode(d.body, 'base64') END)
        ORDER BY d.kind, d.activity_id, d.document_id), '[]')
    FROM hephaestus.xapi_documents d WHERE d.user_id = $1
    """);
