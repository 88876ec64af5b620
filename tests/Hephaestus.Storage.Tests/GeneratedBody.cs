using System.Security.Cryptography;

namespace Hephaestus.Storage.Tests;

/// <summary>
/// A body of any length produced as it is read and never held whole: byte p is a seeded random table's entry at
/// p mod a prime, so bodies of different seeds differ and no buffer boundary lines up with the pattern. Counts what was
/// read, so a test can show that a refused body was not read to its end.
/// </summary>
sealed class GeneratedBody(long length, int seed) : Stream
{
    const int TableBytes = 65_521; // prime

    readonly byte[] _table = Table(seed);
    long _position;

    public long BytesRead => _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = (int)Math.Min(buffer.Length, length - _position);
        var written = 0;
        while (written < total)
        {
            var at = (int)((_position + written) % TableBytes);
            var run = Math.Min(total - written, TableBytes - at);
            _table.AsSpan(at, run).CopyTo(buffer[written..]);
            written += run;
        }

        _position += total;
        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    /// <summary>The SHA-256 of the body of this length and seed, computed by streaming another instance.</summary>
    public static string Sha256(long length, int seed)
    {
        using var body = new GeneratedBody(length, seed);
        return Convert.ToHexStringLower(SHA256.HashData(body));
    }

    /// <summary>Bytes [first, first + count) of the body of this length and seed.</summary>
    public static byte[] Slice(long length, int seed, long first, int count)
    {
        var table = Table(seed);
        var slice = new byte[Math.Max(0, Math.Min(count, length - first))];
        for (var i = 0; i < slice.Length; i++) slice[i] = table[(first + i) % TableBytes];
        return slice;
    }

    static byte[] Table(int seed)
    {
        var table = new byte[TableBytes];
        new Random(seed).NextBytes(table);
        return table;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
