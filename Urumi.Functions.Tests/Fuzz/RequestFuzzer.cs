using System.Text;

namespace Urumi.Functions.Tests.Fuzz;

/// <summary>
/// Makes requests for every route family by mutating valid ones (bodies, headers, query strings, paths), from one
/// seeded Random so a run is repeated by its seed. Each mutation says whether it surely breaks the request.
/// </summary>
public sealed class RequestFuzzer(Random random, IReadOnlyDictionary<string, string> keys, IReadOnlyDictionary<string, string> seedStores)
{
    public const string AdminOwner = "admin";

    /// <summary>Names that a valid create may use: few, so valid requests make few stores (the rest are name-taken).</summary>
    public static readonly string[] ValidNames = ["fuzz-a"];

    private static readonly string[] BadStrings =
    [
        "", " ", "UPPER", "a b", "../x", "é", "\U0001F642", "\ud800", "\udfff", "x\ud800y", "a\u0000b", "tab\there", "line\nbreak",
        "' or 1=1 --", "${jndi:ldap://x}", "<script>", "woocommerce ", "Small", "%00", "\u202Eevil", "\uFFFD",
    ];

    private static readonly string[] WrongTypes = ["42", "true", "false", "[]", "{}", "[1,2]", "1.5e300", "-0", "{\"a\":1}"];

    private static readonly string[] OddIds =
    [
        "%2e%2e", "..%2Fx", "%2F", "%00", "%ZZ", "%C0%AF", "%ED%A0%80", "%FF%FE", "%20", "a%20b", "UPPER-case", "a..b", "~", "*",
        "'", "%22", "%3Cscript%3E", "%E2%80%AE", "%F0%9F%99%82", "x%23y", "x%3Fy", "%5C", "ab", "-abc", "abc-",
    ];

    private static readonly (string Value, bool Valid)[] Statuses =
    [
        ("Queued", true), ("ready", true), ("Provisioning,Ready", true), ("Failed,%20Deleted", true), ("", false), ("Sleeping", false),
        ("1", false), ("Queued,,Ready", false), ("Queued%7CReady", false), ("Ready;Failed", false), ("%00", false),
        ("%ED%A0%80", false), ("%FF", false), (new string('Q', 300), false), ("Ready,", false),
    ];

    private static readonly (string Value, bool Valid)[] Limits =
    [
        ("1", true), ("50", true), ("200", true), ("0", false), ("201", false), ("-1", false), ("1e2", false), ("%205", false),
        ("ten", false), ("", false), ("99999999999", false), ("5.0", false), ("+5", false), ("0x10", false),
    ];

    private static readonly (string Value, bool Valid)[] Times =
    [
        ("2026-01-01", true), ("2026-11-23T10:00:00Z", true), ("2025-06-01T00:00:00%2B02:00", true), ("yesterday", false),
        ("5%2F6", false), ("2026-13-45", false), ("0001-01-01", false), ("9999-12-31T23:59:59Z", false), ("1", false), ("", false),
        ("2026-01-01T25:00:00Z", false), ("%ED%A0%80", false),
    ];

    private static readonly (string Value, bool Valid)[] Tokens =
    [
        ("x", false), ("1.abc.def", false), ("MSE4IVlXeHBZMlUtIDEhNCFlQS0t", false), ("1.000000000000.eA", false),
        (new string('A', 5000), false), ("%00", false), ("", false),
    ];

    private readonly string[] _bodyFields = ["name", "engine", "plan", "keepFailed"];
    private int _unknown;

    /// <summary>A request of <paramref name="family"/>: stores, list, store, audit, open, management.</summary>
    public FuzzRequest Next(string family) => family switch
    {
        "stores" => CreateStore(),
        "list" => ListStores(),
        "store" => StoreById(),
        "audit" => Audit(),
        "open" => Open(),
        "management" => Management(),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    private FuzzRequest CreateStore()
    {
        var mutations = new List<string>();
        var invalid = false;
        var fields = new List<(string Name, string Json)>
        {
            ("name", Quote(Pick(ValidNames))),
            ("engine", Quote(Pick(["woocommerce", "medusa"]))),
        };
        if (Chance(0.5))
        {
            fields.Add(("plan", Quote("small")));
        }
        if (Chance(0.3))
        {
            fields.Add(("keepFailed", Chance(0.5) ? "true" : "false"));
        }
        string? contentType = Pick(["application/json", "application/json; charset=utf-8", "Application/JSON"]);
        var contentTypeInvalid = false;
        var headers = new List<(string, string)>();
        invalid |= Key(headers, adminAllowed: true).Invalid;
        byte[]? body = null;
        for (var n = random.Next(1, 3); n > 0; n--)
        {
            var mutation = random.Next(12);
            if (fields.Count == 0 && mutation is 0 or 1 or 2 or 4 or 5)
            {
                continue;
            }
            switch (mutation)
            {
                case 0:
                    var typed = random.Next(fields.Count);
                    var wrong = Pick(WrongTypes);
                    fields[typed] = (fields[typed].Name, fields[typed].Name == "keepFailed" && wrong is "true" or "false" ? "1" : wrong);
                    mutations.Add($"wrong type for {fields[typed].Name}");
                    invalid = true;
                    break;
                case 1:
                    var nulled = random.Next(fields.Count);
                    fields[nulled] = (fields[nulled].Name, "null");
                    mutations.Add($"null {fields[nulled].Name}");
                    invalid |= fields[nulled].Name != "plan";
                    break;
                case 2:
                    var bad = random.Next(fields.Count);
                    var text = random.Next(5) == 0 ? new string((char)random.Next('a', 'z' + 1), Pick([41, 500, 20_000])) : Pick(BadStrings);
                    fields[bad] = (fields[bad].Name, Quote(text));
                    mutations.Add($"bad string for {fields[bad].Name}");
                    invalid = true;
                    break;
                case 3:
                    var depth = random.Next(1, 60);
                    fields.Add(($"x{random.Next(1000)}", new string('[', depth) + new string(']', depth)));
                    mutations.Add("extra field");
                    invalid = true;
                    break;
                case 4:
                    var copied = fields[random.Next(fields.Count)];
                    fields.Add(copied);
                    mutations.Add($"repeated {copied.Name}");
                    invalid = true;
                    break;
                case 5:
                    var removed = random.Next(fields.Count);
                    mutations.Add($"no {fields[removed].Name}");
                    invalid |= fields[removed].Name is "name" or "engine";
                    fields.RemoveAt(removed);
                    break;
                case 6:
                    var whole = Json(fields);
                    body = whole[..random.Next(whole.Length)];
                    mutations.Add("truncated");
                    invalid = true;
                    break;
                case 7:
                    body = random.Next(4) switch
                    {
                        0 => Bytes(random.Next(1, 200)),
                        1 => Encoding.UTF8.GetBytes(Pick(["[]", "null", "\"x\"", "1", "", "{", "}", "{}"])),
                        2 => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Json(fields)) + new string(' ', 17 * 1024)),
                        _ => Encoding.UTF8.GetBytes(new string('[', 5000)),
                    };
                    mutations.Add("replaced body");
                    invalid = true;
                    break;
                case 8:
                    var json = Json(fields);
                    var at = random.Next(json.Length + 1);
                    body = [.. json[..at], Pick<byte>([(byte)'#', 0x01, 0xFF, 0xC0, (byte)'\\']), .. json[at..]];
                    mutations.Add("inserted byte");
                    invalid = true;
                    break;
                case 9:
                    var types = new (string? Type, bool Valid)[]
                    {
                        ("text/plain", false), ("application/xml", false), ("application/json; charset=iso-8859-1", false),
                        ("application/jsonx", false), ("application/json, text/plain", false), (null, true), ("application/json;charset=UTF-8", true),
                        ("multipart/form-data; boundary=x", false),
                    };
                    var (type, valid) = Pick(types);
                    (contentType, contentTypeInvalid) = (type, !valid);
                    mutations.Add($"Content-Type {type ?? "none"}");
                    break;
                case 10:
                    var (value, keyValid) = Pick(new (string, bool)[]
                    {
                        ("", false), (new string('k', 201), false), ($"key-{random.Next()}", true), ("k\u007f", false),
                    });
                    headers.Add(("Idempotency-Key", value));
                    if (Chance(0.3))
                    {
                        // HttpClient sends a repeated header as one line, "a, b" (as RFC 9110 lets any hop do): one key.
                        headers.Add(("Idempotency-Key", $"key-{random.Next()}"));
                    }
                    mutations.Add("Idempotency-Key");
                    invalid |= !keyValid;
                    break;
                default:
                    invalid |= CommonHeader(headers, mutations);
                    break;
            }
        }
        body ??= Json(fields);
        invalid |= contentTypeInvalid;
        return new FuzzRequest("stores", HttpMethod.Post, "/api/stores", headers, body, contentType, invalid, string.Join(", ", mutations));
    }

    private FuzzRequest ListStores()
    {
        var headers = new List<(string, string)>();
        var (owner, invalid) = Key(headers, adminAllowed: true);
        var mutations = new List<string>();
        var query = new List<string>();
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            var (name, value, valid) = random.Next(8) switch
            {
                0 => Param("status", Statuses),
                1 => Param("engine", [("woocommerce", true), ("medusa", true), ("WooCommerce", false), ("magento", false), ("", false), ("medusa,woocommerce", false)]),
                2 => Param("name", [("f", true), ("fuzz", true), ("seed-", true), ("", false), ("A", false), ("x%20y", false), (new string('a', 41), false), ("%2F", false)]),
                3 => Param("owner", owner == AdminOwner
                    ? [("bob", true), ("alice", true), ("nobody", true), ("", false), (new string('o', 300), false), ("%00", false)]
                    : [(owner, true), (owner == "alice" ? "bob" : "alice", false), ("", false)]),
                4 => Param("limit", Limits),
                5 => Param("continuationToken", Tokens),
                6 => ($"unknown{random.Next(100)}", "1", false),
                _ => ("status", Pick(Statuses.Where(s => s.Valid).ToArray()).Value, true),
            };
            var repeated = query.Any(q => q.StartsWith(name + "=", StringComparison.Ordinal));
            query.Add($"{name}={value}");
            mutations.Add(name);
            invalid |= !valid || repeated && name != "status";
        }
        if (Chance(0.15))
        {
            invalid |= CommonHeader(headers, mutations);
        }
        var path = "/api/stores" + (query.Count == 0 ? "" : "?" + string.Join("&", query));
        return new FuzzRequest("list", HttpMethod.Get, path, headers, null, null, invalid, string.Join(", ", mutations));
    }

    private FuzzRequest StoreById()
    {
        var headers = new List<(string, string)>();
        var (owner, invalid) = Key(headers, adminAllowed: true);
        var mutations = new List<string>();
        var (method, suffix) = Pick(new (HttpMethod, string)[]
        {
            (HttpMethod.Get, ""), (HttpMethod.Delete, ""), (HttpMethod.Post, "/retry"), (HttpMethod.Get, "/events"), (HttpMethod.Get, "/stream"),
        });
        string id;
        var own = seedStores.GetValueOrDefault(owner);
        if (method != HttpMethod.Delete && Chance(0.3) && seedStores.Count > 0)
        {
            var (storeOwner, storeId) = Pick(seedStores.ToArray());
            id = storeId;
            invalid |= owner != AdminOwner && storeOwner != owner;
            mutations.Add("a store's id");
        }
        else
        {
            id = random.Next(4) switch
            {
                0 when own is not null => own + Pick(OddIds),
                1 => new string('a', random.Next(64, 2000)),
                2 => "zz" + Pick(OddIds) + random.Next(1000),
                _ => Pick(OddIds),
            };
            mutations.Add("odd id");
            invalid = true;
        }
        if (suffix == "/stream" && Chance(0.5))
        {
            headers.Add(("Last-Event-ID", Pick(["yesterday", "-1", "99999999999999999999-1", "1-", "abc-1", "1-2-3", new string('9', 101)])));
            mutations.Add("Last-Event-ID");
            invalid = true;
        }
        if (Chance(0.15))
        {
            invalid |= CommonHeader(headers, mutations);
        }
        return new FuzzRequest("store", method, $"/api/stores/{id}{suffix}", headers, null, null, invalid, string.Join(", ", mutations));
    }

    private FuzzRequest Audit()
    {
        var headers = new List<(string, string)>();
        var mutations = new List<string>();
        var query = new List<string>();
        if (Chance(0.15))
        {
            var (_, keyInvalid) = Key(headers, adminAllowed: true);
            var (name, value, valid) = Chance(0.7) ? Param("before", Times.Where(t => !t.Valid).ToArray()) : ("before", "2001-01-01", true);
            mutations.Add("purge");
            return new FuzzRequest("audit", HttpMethod.Delete, $"/api/audit?{name}={value}", headers, null, null,
                keyInvalid || !valid || !headers.Contains(("x-functions-key", keys[AdminOwner])), string.Join(", ", mutations));
        }
        var invalid = Key(headers, adminAllowed: true).Invalid;
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            var (name, value, valid) = random.Next(7) switch
            {
                0 => Param("from", Times),
                1 => Param("to", Times),
                2 => Param("store", [(seedStores.Values.FirstOrDefault() ?? "abc", true), ("", false), ("A%20B", false), ("%ED%A0%80", false)]),
                3 => Param("action", [("create", true), ("delete", true), ("Create", false), ("x", false), ("create,delete", false)]),
                4 => Param("limit", [("1", true), ("1000", true), ("0", false), ("1001", false), ("x", false)]),
                5 => Param("format", [("json", true), ("csv", true), ("NDJSON", true), ("xml", false), ("1", false), ("", false)]),
                _ => ($"unknown{random.Next(100)}", "x", false),
            };
            var repeated = query.Any(q => q.StartsWith(name + "=", StringComparison.Ordinal));
            query.Add($"{name}={value}");
            mutations.Add(name);
            invalid |= !valid || repeated;
        }
        var path = "/api/audit" + (query.Count == 0 ? "" : "?" + string.Join("&", query));
        return new FuzzRequest("audit", HttpMethod.Get, path, headers, null, null, invalid, string.Join(", ", mutations));
    }

    private FuzzRequest Open()
    {
        var headers = new List<(string, string)>();
        var mutations = new List<string>();
        var route = Pick(["/api/info", "/api/health", "/api/me"]);
        var invalid = false;
        if (route == "/api/me" || Chance(0.5))
        {
            (_, invalid) = Key(headers, adminAllowed: true);
            invalid &= route == "/api/me";
        }
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            invalid |= CommonHeader(headers, mutations);
        }
        var path = Chance(0.3) ? $"{route}?x{random.Next(10)}={Pick(OddIds)}" : route;
        return new FuzzRequest("open", HttpMethod.Get, path, headers, null, null, invalid, string.Join(", ", mutations));
    }

    private FuzzRequest Management()
    {
        const string root = "/runtime/webhooks/durabletask";
        var headers = new List<(string, string)>();
        var (_, invalid) = Key(headers, adminAllowed: true);
        invalid |= !headers.Contains(("x-functions-key", keys[AdminOwner]));
        var odd = "zz" + Pick(OddIds) + random.Next(1000);
        byte[]? body = null;
        string? contentType = null;
        var (method, path, valid) = random.Next(8) switch
        {
            0 => (HttpMethod.Get, $"{root}/instances?{ListParam()}", false),
            1 => (HttpMethod.Get, $"{root}/instances/{odd}", false),
            2 => (HttpMethod.Delete, $"{root}/instances/{odd}", false),
            3 => (HttpMethod.Post, $"{root}/instances/{odd}/{Pick(["terminate", "suspend", "resume", "restart"])}", false),
            4 => (HttpMethod.Post, $"{root}/instances/{odd}/raiseEvent/{Pick(["go", "%00", "%ED%A0%80", "a%2Fb"])}", false),
            5 => (HttpMethod.Post, $"{root}/orchestrators/{Pick(["Nope", "%00", "x%20y", new string('o', 300)])}", false),
            6 => (HttpMethod.Delete, $"{root}/instances?{Pick(["runtimeStatus=Running", "runtimeStatus=Pending,Completed", "runtimeStatus=", "createdTimeFrom=yesterday", "runtimeStatus=Completed&runtimeStatus=Running"])}", false),
            _ => (HttpMethod.Get, $"{root}/instances?top={Pick(["1", "50"])}", true),
        };
        if (method == HttpMethod.Post && Chance(0.5))
        {
            body = Chance(0.5) ? Bytes(random.Next(1, 100)) : Encoding.UTF8.GetBytes("{\"a\":\"\\ud800\"}");
            contentType = "application/json";
        }
        return new FuzzRequest("management", method, path, headers, body, contentType, invalid || !valid, "management");

        string ListParam() => Pick(["top=ten", "top=0", "top=-5", "runtimeStatus=Sleeping", "runtimeStatus=1", "createdTimeFrom=5%2F6x",
            "showInput=maybe", "showHistory=2", "top=1&top=2", "instanceIdPrefix=a&instanceIdPrefix=b", "createdTimeTo=%00"]);
    }

    /// <summary>Adds a key (or none, a wrong one, two); gives the caller's owner and whether the key surely fails.</summary>
    private (string Owner, bool Invalid) Key(List<(string, string)> headers, bool adminAllowed)
    {
        var roll = random.Next(20);
        if (roll == 0)
        {
            return ("none", true);
        }
        if (roll == 1)
        {
            headers.Add(("x-functions-key", Pick(["wrong", "", new string('k', 1000), keys["alice"].ToUpperInvariant()])));
            return ("none", true);
        }
        if (roll == 2)
        {
            headers.Add(("x-functions-key", keys["alice"]));
            headers.Add(("x-functions-key", keys["bob"]));
            return ("none", true);
        }
        var owner = adminAllowed && roll < 7 ? AdminOwner : roll % 2 == 0 ? "alice" : "bob";
        headers.Add(("x-functions-key", keys[owner]));
        return (owner, false);
    }

    /// <summary>A header that routes ignore or may ignore; true when it surely makes the request invalid.</summary>
    private bool CommonHeader(List<(string, string)> headers, List<string> mutations)
    {
        var printable = new string([.. Enumerable.Range(0, random.Next(0, 300)).Select(_ => (char)random.Next(0x20, 0x7F))]);
        switch (random.Next(6))
        {
            case 0:
                headers.Add(("X-Forwarded-For", Pick(["1.2.3.4", "not-an-ip", "1.2.3.4, ::1, garbage", printable])));
                mutations.Add("X-Forwarded-For");
                return false;
            case 1:
                headers.Add(("Authorization", Pick(["Bearer x", "Basic %%%", printable])));
                mutations.Add("Authorization");
                return false;
            case 2:
                headers.Add(($"X-Fuzz-{_unknown++ % 10}", printable));
                mutations.Add("unknown header");
                return false;
            case 3:
                // HttpClient joins a repeated header into one line ("Bearer a, Bearer b"), which routes that ignore
                // the header may accept; the tests of SingleValues send real repeated lines.
                headers.Add(("Authorization", "Bearer a"));
                headers.Add(("Authorization", "Bearer b"));
                mutations.Add("two Authorization");
                return false;
            case 4:
                headers.Add(("Last-Event-ID", "1"));
                headers.Add(("Last-Event-ID", "2"));
                mutations.Add("two Last-Event-ID");
                return false;
            default:
                headers.Add(("Accept", Pick(["application/xml", "*/*", "text/event-stream", printable])));
                mutations.Add("Accept");
                return false;
        }
    }

    private (string Name, string Value, bool Valid) Param(string name, (string Value, bool Valid)[] values)
    {
        var (value, valid) = Pick(values);
        return (name, value, valid);
    }

    private byte[] Json(List<(string Name, string Json)> fields) =>
        Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => $"{Quote(f.Name)}:{f.Json}")) + "}");

    /// <summary>A JSON string literal; lone surrogates are written as \u escapes, as a hostile client would send them.</summary>
    private static string Quote(string text)
    {
        var json = new StringBuilder("\"");
        foreach (var c in text)
        {
            json.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < 0x20 || char.IsSurrogate(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return json.Append('"').ToString();
    }

    private byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private bool Chance(double p) => random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
