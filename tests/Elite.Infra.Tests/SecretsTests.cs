using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Elite.Infra.Tests;

/// <summary>No secret, key or connection string is written into infra/, the Dockerfile or azure.yaml.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed partial class SecretsTests(CompiledInfra infra)
{
    public static IEnumerable<string> ScannedFiles()
    {
        foreach (var file in Directory.EnumerateFiles(Repository.Infra, "*", SearchOption.AllDirectories)) yield return file;
        yield return Path.Combine(Repository.Root, "gpu-worker", "Dockerfile");
        yield return Path.Combine(Repository.Root, ".dockerignore");
        yield return Path.Combine(Repository.Root, "azure.yaml");
    }

    private static readonly (string What, Regex Pattern)[] SecretPatterns =
    [
        ("a storage connection string", new Regex(@"(DefaultEndpointsProtocol|AccountKey|SharedAccessSignature)\s*=", RegexOptions.IgnoreCase)),
        ("a SAS signature", new Regex(@"[?&]sig=[A-Za-z0-9%+/]{10,}", RegexOptions.IgnoreCase)),
        ("an Application Insights key", new Regex(@"InstrumentationKey\s*=\s*[0-9a-f]{8}-", RegexOptions.IgnoreCase)),
        ("a private key", new Regex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
        ("a Standard Webhooks secret", new Regex(@"whsec_[A-Za-z0-9+/=]{8,}")),
        ("a function key in a URL", new Regex(@"[?&]code=(?!\$\{)[A-Za-z0-9_\-]{10,}", RegexOptions.IgnoreCase)),
        ("a password or secret literal", new Regex(@"\b\w*(password|secret|apikey|api_key|accesskey)(?!\w*(Name|Uri|Url|Id|Ref)\b)\w*\s*[:=]\s*['""](?![$\[])[^'""\s]{6,}['""]", RegexOptions.IgnoreCase)),
        ("a client secret variable", new Regex(@"AZURE_CLIENT_SECRET", RegexOptions.IgnoreCase)),
    ];

    [Fact]
    public void No_file_contains_a_secret_pattern()
    {
        var findings = new List<string>();
        foreach (var file in ScannedFiles())
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (var (what, pattern) in SecretPatterns)
                {
                    if (pattern.IsMatch(lines[i])) findings.Add($"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}: {what}: {lines[i].Trim()}");
                }

                foreach (Match token in LongToken().Matches(lines[i]))
                {
                    if (LooksLikeKeyMaterial(token.Value))
                    {
                        findings.Add($"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}: key-like token {token.Value}");
                    }
                }
            }
        }

        Assert.True(findings.Count == 0, "Possible secrets:\n" + string.Join('\n', findings));
    }

    /// <summary>Base64 or random-looking runs: upper and lower case letters and digits, 32 characters or more.</summary>
    private static bool LooksLikeKeyMaterial(string token) =>
        token.Any(char.IsUpper) && token.Any(char.IsLower) && token.Any(char.IsDigit)
        && !token.Contains('/', StringComparison.Ordinal); // paths and resource types

    [GeneratedRegex(@"[A-Za-z0-9+/=_\-]{32,}")]
    private static partial Regex LongToken();

    [Fact]
    public void The_scan_finds_what_it_looks_for()
    {
        string[] samples =
        [
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc",
            "https://x.blob.core.windows.net/c?sv=2024&sig=abcdefghijklmnop",
            "endpointUrl: 'https://f.azurewebsites.net/runtime/webhooks/blobs?code=abcdefghijklmnopqrstu'",
            "password: 'hunter22hunter'",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ];
        Assert.All(samples, s => Assert.Contains(SecretPatterns, p => p.Pattern.IsMatch(s)));
        Assert.True(LooksLikeKeyMaterial("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"));
        Assert.False(LooksLikeKeyMaterial(new string('a', 64)));
        Assert.False(LooksLikeKeyMaterial("27ad42d633dac2996556ac90d6b8411cd991a8486756fc4deff70aaef2170af2"));
    }

    [Fact]
    public void Secure_parameters_have_no_default_and_secret_names_are_secure()
    {
        foreach (var template in AllTemplates(infra.MainTemplate))
        {
            foreach (var (name, definition) in template["parameters"]?.AsObject() ?? [])
            {
                var type = (string?)definition!["type"];
                if (type is "securestring" or "secureObject")
                {
                    Assert.Null(definition["defaultValue"]);
                }

                if (Regex.IsMatch(name, "secret|password|apikey|accountkey", RegexOptions.IgnoreCase)
                    && !Regex.IsMatch(name, "(Name|Uri|Url|Id)$"))
                {
                    Assert.True(type is "securestring" or "secureObject", $"parameter {name} holds a secret but is {type}");
                }
            }
        }
    }

    [Fact]
    public void No_output_carries_a_secret()
    {
        foreach (var template in AllTemplates(infra.MainTemplate))
        {
            foreach (var (name, output) in template["outputs"]?.AsObject() ?? [])
            {
                Assert.DoesNotContain((string?)output!["type"], new[] { "securestring", "secureObject" });
                var value = output["value"]?.ToJsonString() ?? "";
                Assert.False(Regex.IsMatch(value, @"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase), $"output {name} reads keys: {value}");
                Assert.DoesNotContain("webhookSigningSecret", value, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Secret_valued_properties_and_settings_are_never_literals()
    {
        var literals = new List<string>();
        foreach (var template in AllTemplates(infra.MainTemplate)) FindSecretLiterals(template["resources"], "", literals);
        Assert.True(literals.Count == 0, "Literal secrets:\n" + string.Join('\n', literals));
    }

    private static readonly Regex SecretPropertyName =
        new("^(password|adminPassword|secret|value|accountKey|sharedKey|primaryKey|secondaryKey|connectionString|sasToken|token|key)$", RegexOptions.IgnoreCase);

    private static void FindSecretLiterals(JsonNode? node, string path, List<string> into)
    {
        switch (node)
        {
            case JsonObject obj:
                // An app setting or environment variable whose name says it is secret must take its value from elsewhere.
                if (obj["name"] is JsonValue n && n.TryGetValue<string>(out var settingName)
                    && Regex.IsMatch(settingName, "secret|password|key$|connectionstring", RegexOptions.IgnoreCase)
                    && obj["value"] is JsonValue sv && sv.TryGetValue<string>(out var settingValue)
                    && !settingValue.StartsWith('[') && !settingValue.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal))
                {
                    into.Add($"{path}: setting {settingName} = {settingValue}");
                }

                foreach (var (key, child) in obj)
                {
                    if (SecretPropertyName.IsMatch(key) && key != "value" && child is JsonValue v && v.TryGetValue<string>(out var text)
                        && text.Length > 0 && !text.StartsWith('['))
                    {
                        into.Add($"{path}.{key} = {text}");
                    }

                    // A Key Vault secret's value is always a parameter.
                    if (key == "value" && path.Contains("secrets", StringComparison.OrdinalIgnoreCase) && child is JsonValue sec
                        && sec.TryGetValue<string>(out var secret) && !secret.StartsWith('['))
                    {
                        into.Add($"{path}.value = {secret}");
                    }

                    FindSecretLiterals(child, $"{path}.{key}", into);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = array[i];
                    var label = child is JsonObject o && o["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? type : $"[{i}]";
                    FindSecretLiterals(child, $"{path}/{label}", into);
                }

                break;
        }
    }

    /// <summary>The main template and every template nested in it (the compiled modules).</summary>
    public static IEnumerable<JsonObject> AllTemplates(JsonObject template)
    {
        yield return template;
        var resources = template["resources"] switch
        {
            JsonArray a => a.OfType<JsonObject>(),
            JsonObject o => o.Select(p => p.Value).OfType<JsonObject>(),
            _ => [],
        };
        foreach (var resource in resources)
        {
            if (resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in AllTemplates(nested)) yield return inner;
            }
        }
    }
}
