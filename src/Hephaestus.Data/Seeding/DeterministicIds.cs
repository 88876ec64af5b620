namespace Hephaestus.Data.Seeding;

/// <summary>
/// UUIDv7 values from a seed: the same seed gives the same ids, and ids still sort by their (synthetic) creation time,
/// so generated data has the index locality of real data.
/// </summary>
public sealed class DeterministicIds(int seed, DateTimeOffset epoch)
{
    readonly Random _random = new(seed);
    long _millis = epoch.ToUnixTimeMilliseconds();

    public Guid Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        var ms = _millis++;
        bytes[0] = (byte)(ms >> 40);
        bytes[1] = (byte)(ms >> 32);
        bytes[2] = (byte)(ms >> 24);
        bytes[3] = (byte)(ms >> 16);
        bytes[4] = (byte)(ms >> 8);
        bytes[5] = (byte)ms;
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70); // version 7
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
