using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;

namespace Hephaestus.Storage;

/// <summary>
/// The destination of <see cref="ObjectAddress.CopyHashingAsync"/> for the S3 store: bytes gather in one pooled buffer of
/// a part's size, and each full buffer becomes a part of a multipart upload to a temporary key, so memory stays at one
/// part whatever the body's size. The upload is started only when a second part is needed: a body that fits in one
/// buffer never leaves memory until its hash (and so its final key) is known, and is then written there in one PUT.
/// </summary>
sealed class S3PartWriter(IAmazonS3 client, string bucket, string temporaryKey, int partBytes) : Stream
{
    /// <summary>S3 numbers parts 1 to 10,000.</summary>
    const int MaxParts = 10_000;

    readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(partBytes);
    readonly List<PartETag> _parts = [];
    int _buffered;
    bool _returned;

    public string TemporaryKey => temporaryKey;

    /// <summary>The multipart upload's id once a part went out; null while the whole body is still in the buffer.</summary>
    public string? UploadId { get; private set; }

    /// <summary>The bytes not yet sent (the whole body when <see cref="UploadId"/> is null), read in place.</summary>
    public Stream OpenBuffered() => new MemoryStream(_buffer, 0, _buffered, writable: false);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            // A full buffer is sent only when more bytes follow, so a body of exactly one part still goes in one PUT.
            if (_buffered == partBytes) await SendPartAsync(cancellationToken);
            var take = Math.Min(buffer.Length, partBytes - _buffered);
            buffer[..take].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += take;
            buffer = buffer[take..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The S3 part writer is asynchronous only.");

    /// <summary>Sends what is buffered as the last part and completes the upload: the temporary object then exists.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (UploadId is null) throw new InvalidOperationException("No multipart upload was started: the body is in the buffer.");
        if (_buffered > 0) await SendPartAsync(ct);
        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = temporaryKey,
            UploadId = UploadId,
            PartETags = _parts,
        }, ct);
    }

    /// <summary>
    /// Drops the parts sent so far. Best effort: a refusal must surface as itself, not as a failed clean-up, and a server
    /// without AbortMultipartUpload (some test servers) keeps invisible parts that the bucket's lifecycle rule or
    /// <see cref="S3ObjectStore.RemoveIncompleteAsync"/> removes.
    /// </summary>
    public async Task AbortAsync()
    {
        if (UploadId is null) return;
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = temporaryKey, UploadId = UploadId });
        }
        catch (AmazonS3Exception)
        {
        }
    }

    async Task SendPartAsync(CancellationToken ct)
    {
        if (UploadId is null)
        {
            var started = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = temporaryKey }, ct);
            UploadId = started.UploadId;
        }

        if (_parts.Count == MaxParts)
        {
            throw new InvalidOperationException($"A body needs more than {MaxParts} parts of {partBytes} bytes; S3 allows no more.");
        }

        var number = _parts.Count + 1;
        // The pooled buffer itself is the request body (a MemoryStream over it copies nothing).
        using var part = new MemoryStream(_buffer, 0, _buffered, writable: false);
        var sent = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = temporaryKey,
            UploadId = UploadId,
            PartNumber = number,
            PartSize = _buffered,
            InputStream = part,
            UseChunkEncoding = false,
        }, ct);
        _parts.Add(new PartETag(number, sent.ETag));
        _buffered = 0;
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_returned)
        {
            _returned = true;
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        base.Dispose(disposing);
    }
}
