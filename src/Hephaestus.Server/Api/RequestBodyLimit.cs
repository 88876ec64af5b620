namespace Hephaestus.Server.Api;

/// <summary>
/// Refuses oversized bodies with 413 before they are read: by Content-Length when given, and by counting when chunked.
/// Kestrel enforces the same limit; this makes it hold in every host (the test server included) and answer with problem details.
/// </summary>
public sealed class RequestBodyLimit(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var raised = context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>();
        var limit = raised?.Bytes ?? ApiHosting.MaxRequestBodyBytes;
        // Kestrel holds every body to the global limit; an endpoint that declares its own (imports) lifts it for its request.
        if (raised is not null && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = raised.Bytes;
        }

        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Request.ContentLength is null && context.Request.Body.CanRead)
        {
            context.Request.Body = new LimitedStream(context.Request.Body, limit);
        }

        await next(context);
    }

    sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        int Count(int n)
        {
            _read += n;
            return _read > limit
                ? throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge)
                : n;
        }
    }
}

/// <summary>Endpoint metadata that raises or lowers the body limit for one endpoint.</summary>
public sealed record BodySizeLimit(long Bytes);
