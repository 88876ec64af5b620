using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Hephaestus.Storage;

/// <summary>
/// Objects in one bucket of any S3-compatible store (AWS S3, MinIO, Ceph, Supabase Storage, …), under the same keys as
/// the filesystem store (`sha256/ab/&lt;hex&gt;`). A body whose hash is known only at its end is streamed to a temporary
/// key (`incoming/&lt;guid&gt;`) by multipart upload, one part in memory at a time, then copied server-side to its address
/// (or dropped when that address already holds it) and the temporary deleted: a reader never sees a partial or unchecked
/// object, and an interrupted write leaves only `incoming/` objects or unfinished uploads, which
/// <see cref="RemoveIncompleteAsync"/> (and the bucket's lifecycle rule) removes.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, INamedObjects, IDisposable
{
    const string Incoming = "incoming/";
    const string Objects = "sha256/";

    /// <summary>8 MiB: above S3's 5 MiB minimum part, and the one buffer a write holds.</summary>
    internal const int DefaultPartBytes = 8 * 1024 * 1024;

    /// <summary>CopyObject copies at most 5 GiB in one request; a larger object is copied in parts.</summary>
    internal const long SingleCopyLimit = 5L * 1024 * 1024 * 1024;

    const long CopyPartBytes = 512L * 1024 * 1024;

    readonly AmazonS3Client _client;
    readonly S3StoreOptions _options;
    readonly int _partBytes;

    public S3ObjectStore(S3StoreOptions options) : this(options, DefaultPartBytes)
    {
    }

    internal S3ObjectStore(S3StoreOptions options, int partBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _partBytes = partBytes;
        var config = new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl.ToString(),
            AuthenticationRegion = options.Region,
            ForcePathStyle = options.ForcePathStyle,
            // SDK v4 adds CRC checksums (trailers, aws-chunked bodies) to every upload and checks them on every download
            // by default; many S3-compatible servers reject or ignore them. Our own SHA-256 is the integrity check.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = options.AccessKeyId is { } key && options.SecretAccessKey is { } secret
            ? new AmazonS3Client(new BasicAWSCredentials(key, secret), config)
            : new AmazonS3Client(config);
        _client.BeforeRequestEvent += SendCopySourceWithPlainSlashes;
    }

    public S3StoreOptions Options => _options;

    public async Task<StoredObject> PutAsync(Stream body, ObjectExpectation expectation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(expectation);
        await using var writer = new S3PartWriter(_client, _options.Bucket, $"{Incoming}{Guid.NewGuid():N}", _partBytes);
        StoredObject stored;
        try
        {
            stored = await ObjectAddress.CopyHashingAsync(body, writer, expectation, ct);
            if (writer.UploadId is not null) await writer.CompleteAsync(ct);
        }
        catch
        {
            await writer.AbortAsync();
            throw;
        }

        if (writer.UploadId is null)
        {
            // The whole body fit in one part: its address is known before anything was sent, so it goes there directly.
            if (await ExistsAsync(stored.Key, ct)) return stored;
            using var content = writer.OpenBuffered();
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = stored.Key,
                InputStream = content,
                UseChunkEncoding = false,
                AutoCloseStream = false,
            }, ct);
            return stored;
        }

        try
        {
            // Same address, same bytes (SHA-256): an existing object is kept and the upload dropped.
            if (!await ExistsAsync(stored.Key, ct)) await CopyAsync(writer.TemporaryKey, stored.Key, stored.Size, ct);
        }
        finally
        {
            await _client.DeleteObjectAsync(_options.Bucket, writer.TemporaryKey, CancellationToken.None);
        }

        return stored;
    }

    public async Task<ObjectBody?> OpenReadAsync(string sha256, ByteRange? range, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = ObjectAddress.KeyOf(ObjectAddress.Require(sha256)) };
        if (range is not null)
        {
            request.ByteRange = new Amazon.S3.Model.ByteRange($"bytes={range.First}-{range.Last?.ToString(CultureInfo.InvariantCulture)}");
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // A range that starts at or past the end: as the filesystem store answers, no bytes at the end.
            var info = await StatAsync(sha256, ct);
            return info is null ? null : new ObjectBody(Stream.Null, info.Size, 0, info.Size);
        }

        var length = response.ContentLength;
        var (first, total) = range is null ? (0L, length) : ParseContentRange(response.ContentRange, length);
        return new ObjectBody(new BoundedReadStream(response.ResponseStream, length), first, length, total);
    }

    public async Task<ObjectInfo?> StatAsync(string sha256, CancellationToken ct)
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(_options.Bucket, ObjectAddress.KeyOf(ObjectAddress.Require(sha256)), ct);
            return new ObjectInfo(sha256, head.ContentLength, ToOffset(head.LastModified));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var listed in ListKeysAsync(Objects, ct))
        {
            var name = listed.Key[(listed.Key.LastIndexOf('/') + 1)..];
            // Only what this store wrote: an address whose key is exactly its own (nothing else under sha256/).
            if (!ObjectAddress.IsValid(name) || listed.Key != ObjectAddress.KeyOf(name)) continue;
            yield return new ObjectInfo(name, listed.Size ?? 0, ToOffset(listed.LastModified));
        }
    }

    public async Task<bool> DeleteAsync(string sha256, CancellationToken ct)
    {
        // S3 answers a delete of a missing key with success too; the HEAD tells the caller which it was.
        if (await StatAsync(sha256, ct) is null) return false;
        await _client.DeleteObjectAsync(_options.Bucket, ObjectAddress.KeyOf(sha256), ct);
        return true;
    }

    public async Task<int> RemoveIncompleteAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        var removed = 0;
        foreach (var upload in await UnfinishedUploadsAsync(ct))
        {
            if (upload.Initiated is not { } initiated || ToOffset(initiated) >= olderThan) continue;
            await _client.AbortMultipartUploadAsync(_options.Bucket, upload.Key, upload.UploadId, ct);
            removed++;
        }

        // Temporaries a crash left between the copy to their address and their delete.
        var stale = new List<string>();
        await foreach (var listed in ListKeysAsync(Incoming, ct))
        {
            if (ToOffset(listed.LastModified) < olderThan) stale.Add(listed.Key);
        }

        foreach (var key in stale)
        {
            await _client.DeleteObjectAsync(_options.Bucket, key, ct);
            removed++;
        }

        return removed;
    }

    public Uri? PresignRead(string sha256, TimeSpan lifetime, string mediaType)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = ObjectAddress.KeyOf(ObjectAddress.Require(sha256)),
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow.Add(lifetime),
            Protocol = _options.ServiceUrl.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentType = mediaType;
        return new Uri(_client.GetPreSignedURL(request));
    }

    /// <summary>
    /// Whether the bucket answers (HeadBucket): the check at start and in readiness. Throws
    /// <see cref="ObjectStoreUnavailableException"/> saying what failed: the endpoint, the bucket, or the credentials.
    /// </summary>
    public async Task CheckAvailableAsync(CancellationToken ct)
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _options.Bucket }, ct);
        }
        catch (AmazonS3Exception e)
        {
            var reason = e.StatusCode switch
            {
                HttpStatusCode.NotFound => "the bucket does not exist",
                HttpStatusCode.Forbidden => "access denied (check the credentials and the bucket's policy)",
                _ => $"{(int)e.StatusCode} {e.ErrorCode ?? e.Message}",
            };
            throw new ObjectStoreUnavailableException($"S3 {_options}: {reason}.", e);
        }
        catch (AmazonClientException e)
        {
            throw new ObjectStoreUnavailableException($"S3 {_options} does not answer: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new ObjectStoreUnavailableException($"S3 {_options} does not answer: {e.Message}", e);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Straight to the name, one part in memory at a time: a multipart upload becomes visible only when completed, a body
    /// that fits one part goes in one PUT; either replaces the name whole.
    /// </summary>
    public async Task<long> PutNamedAsync(string name, Stream body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        var key = ObjectNames.Require(name);
        await using var writer = new S3PartWriter(_client, _options.Bucket, key, _partBytes);
        long size;
        try
        {
            size = await ObjectAddress.CopyHashingAsync(body, writer, new ObjectExpectation(long.MaxValue), ct) is { } stored ? stored.Size : 0;
            if (writer.UploadId is not null)
            {
                await writer.CompleteAsync(ct);
                return size;
            }
        }
        catch
        {
            await writer.AbortAsync();
            throw;
        }

        using var content = writer.OpenBuffered();
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = content,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        }, ct);
        return size;
    }

    public async Task<Stream?> OpenNamedAsync(string name, CancellationToken ct)
    {
        try
        {
            var response = await _client.GetObjectAsync(_options.Bucket, ObjectNames.Require(name), ct);
            return new BoundedReadStream(response.ResponseStream, response.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<string>> ListNamedAsync(string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (var listed in ListKeysAsync(prefix, ct))
        {
            if (ObjectNames.IsValid(listed.Key)) names.Add(listed.Key);
        }

        return [.. names.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The SDK sends CopyObject's source as `bucket%2Fkey`; S3 reads that or `bucket/key`, but some compatible servers
    /// (s3rver, older gateways) decode the header without `%2F` and find no bucket. Our keys are `[a-z0-9/]` only, so the
    /// plain slashes are the whole difference. Runs before signing, so the signature covers the header as sent.
    /// </summary>
    static void SendCopySourceWithPlainSlashes(object sender, RequestEventArgs e)
    {
        const string CopySource = "x-amz-copy-source";
        if (e is WebServiceRequestEventArgs { Headers: { } headers } && headers.TryGetValue(CopySource, out var source))
        {
            headers[CopySource] = source.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }
    }

    async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        try
        {
            await _client.GetObjectMetadataAsync(_options.Bucket, key, ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    async Task CopyAsync(string sourceKey, string destinationKey, long size, CancellationToken ct)
    {
        if (size <= SingleCopyLimit)
        {
            await _client.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = _options.Bucket,
                SourceKey = sourceKey,
                DestinationBucket = _options.Bucket,
                DestinationKey = destinationKey,
            }, ct);
            return;
        }

        // Past 5 GiB: a multipart upload whose parts are server-side copies of ranges of the temporary.
        var started = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = destinationKey }, ct);
        try
        {
            var parts = new List<PartETag>();
            for (long first = 0, number = 1; first < size; first += CopyPartBytes, number++)
            {
                var copied = await _client.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = _options.Bucket,
                    SourceKey = sourceKey,
                    DestinationBucket = _options.Bucket,
                    DestinationKey = destinationKey,
                    UploadId = started.UploadId,
                    PartNumber = (int)number,
                    FirstByte = first,
                    LastByte = Math.Min(first + CopyPartBytes, size) - 1,
                }, ct);
                parts.Add(new PartETag((int)number, copied.ETag));
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = destinationKey,
                UploadId = started.UploadId,
                PartETags = parts,
            }, ct);
        }
        catch
        {
            await _client.AbortMultipartUploadAsync(_options.Bucket, destinationKey, started.UploadId, CancellationToken.None);
            throw;
        }
    }

    async IAsyncEnumerable<S3Object> ListKeysAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix };
        while (true)
        {
            var page = await _client.ListObjectsV2Async(request, ct);
            foreach (var listed in page.S3Objects ?? []) yield return listed;
            if (page.IsTruncated != true || page.NextContinuationToken is null) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    async Task<List<MultipartUpload>> UnfinishedUploadsAsync(CancellationToken ct)
    {
        var uploads = new List<MultipartUpload>();
        var request = new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = Incoming };
        try
        {
            while (true)
            {
                var page = await _client.ListMultipartUploadsAsync(request, ct);
                uploads.AddRange(page.MultipartUploads ?? []);
                if (page.IsTruncated != true) return uploads;
                request.KeyMarker = page.NextKeyMarker;
                request.UploadIdMarker = page.NextUploadIdMarker;
            }
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NotImplemented")
        {
            // A server without multipart listing (s3rver, some gateways) has nothing here that we could abort.
            return uploads;
        }
    }

    /// <summary>`bytes 10-19/100`: the first byte served and the object's whole size.</summary>
    static (long First, long Total) ParseContentRange(string? contentRange, long length)
    {
        if (contentRange is null || !contentRange.StartsWith("bytes ", StringComparison.Ordinal)) return (0, length);
        var slash = contentRange.IndexOf('/', StringComparison.Ordinal);
        var dash = contentRange.IndexOf('-', StringComparison.Ordinal);
        var first = long.Parse(contentRange.AsSpan(6, dash - 6), CultureInfo.InvariantCulture);
        var total = long.Parse(contentRange.AsSpan(slash + 1), CultureInfo.InvariantCulture);
        return (first, total);
    }

    static DateTimeOffset ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.MinValue;
}
