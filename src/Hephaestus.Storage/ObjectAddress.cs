using System.Buffers;
using System.Security.Cryptography;

namespace Hephaestus.Storage;

/// <summary>Addresses (SHA-256, lowercase hex) and keys, and the one streaming copy-and-hash loop both stores use.</summary>
public static class ObjectAddress
{
    const int BufferBytes = 128 * 1024;

    /// <summary>`sha256/ab/abcdef…`: a two-character fan-out keeps directories (and S3 listings) small.</summary>
    public static string KeyOf(string sha256) => $"sha256/{sha256[..2]}/{sha256}";

    /// <summary>True for 64 lowercase hex digits; everything that reaches a path or key is checked by this first.</summary>
    public static bool IsValid(string? sha256) =>
        sha256 is { Length: 64 } && sha256.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static string Require(string sha256) =>
        IsValid(sha256) ? sha256 : throw new ArgumentException("An object address is 64 lowercase hex digits (SHA-256).", nameof(sha256));

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> through one pooled buffer while hashing, and
    /// refuses (before writing past it) a body longer than the limit. Memory stays at one buffer whatever the size.
    /// </summary>
    public static async Task<StoredObject> CopyHashingAsync(Stream source, Stream destination, ObjectExpectation expectation, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        long size = 0;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferBytes), ct)) > 0)
            {
                size += read;
                if (size > expectation.MaxBytes)
                {
                    throw new ObjectRefusedException(ObjectRefusal.TooLarge, $"The body is longer than the limit of {expectation.MaxBytes} bytes.");
                }

                hash.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var stored = new StoredObject(Convert.ToHexStringLower(hash.GetHashAndReset()), size);
        Check(stored, expectation);
        return stored;
    }

    /// <summary>Hashes a stream to its end (for verification of what a store holds).</summary>
    public static async Task<string> HashAsync(Stream source, CancellationToken ct) =>
        Convert.ToHexStringLower(await SHA256.HashDataAsync(source, ct));

    static void Check(StoredObject stored, ObjectExpectation expectation)
    {
        if (expectation.Size is { } size && size != stored.Size)
        {
            throw new ObjectRefusedException(ObjectRefusal.SizeMismatch, $"The body has {stored.Size} bytes; {size} were declared.");
        }

        if (expectation.Sha256 is { } declared && !string.Equals(declared, stored.Sha256, StringComparison.Ordinal))
        {
            throw new ObjectRefusedException(ObjectRefusal.HashMismatch, $"The body's SHA-256 is {stored.Sha256}; {declared} was declared.");
        }
    }
}
