using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hephaestus.Domain.Xapi;

/// <summary>
/// Signed Statements (xAPI-Data.md 2.6): the signature attachment's body is a JWS in compact serialization, alg RS256,
/// RS384 or RS512, whose payload is the Statement as it was before the signature was added. The LRS checks that it is
/// well formed, that its payload is logically the received Statement (ignoring what the LRS may set or change: id and
/// timestamp when the payload lacks them, stored, authority, version, and the signature attachment itself), and, when
/// the header carries an X.509 chain (<c>x5c</c>), that the signature verifies with the first certificate's RSA key.
/// </summary>
public static class XapiSignature
{
    /// <summary>Null when the signature is good; otherwise why it is refused.</summary>
    public static string? Check(string jws, JsonElement statement)
    {
        var parts = jws.Trim().Split('.');
        if (parts.Length != 3) return "the signature is not a JWS in compact serialization (header.payload.signature)";
        JsonObject header;
        JsonNode payload;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(Base64Url(parts[0]))?.AsObject() ?? throw new FormatException();
            payload = JsonNode.Parse(Base64Url(parts[1])) ?? throw new FormatException();
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return "the signature's header, payload or signature is not valid base64url JSON";
        }

        var algorithm = header["alg"] is JsonValue alg && alg.TryGetValue<string>(out var name) ? name : null;
        HashAlgorithmName? hash = algorithm switch
        {
            "RS256" => HashAlgorithmName.SHA256,
            "RS384" => HashAlgorithmName.SHA384,
            "RS512" => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (hash is null) return "the signature's algorithm must be RS256, RS384 or RS512";
        if (payload is not JsonObject signed) return "the signature's payload must be a Statement";
        var received = JsonNode.Parse(statement.GetRawText())!.AsObject();
        // The payload is the Statement before its signature attachment was added.
        if (received["attachments"] is JsonArray attachments)
        {
            foreach (var attachment in attachments.OfType<JsonObject>()
                .Where(a => a["usageType"]?.GetValue<string>() == XapiStatementValidator.SignatureUsageType).ToList())
            {
                attachments.Remove(attachment);
            }

            if (attachments.Count == 0) received.Remove("attachments");
        }

        if (!XapiStatementComparison.Same(signed, received)) return "the signature's payload differs from the Statement";
        if (header["x5c"] is not JsonArray { Count: > 0 } chain) return null;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(chain[0]!.GetValue<string>()));
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is null) return "the signature's certificate has no RSA key";
            var input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            return rsa.VerifyData(input, signature, hash.Value, RSASignaturePadding.Pkcs1) ? null : "the signature does not verify with its certificate";
        }
        catch (Exception e) when (e is FormatException or CryptographicException or InvalidOperationException)
        {
            return "the signature's x5c certificate cannot be read";
        }
    }

    static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}
