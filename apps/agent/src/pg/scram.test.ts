import { describe, expect, test } from "vitest";
import { ScramClientExchange } from "./scram-client";
import { ScramError, ScramServerExchange } from "./scram-server";
import { createScramVerifier, parseScramVerifier, saslprep } from "./scram-verifier";

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  clientNonce: "rOprNGfwEbeRWgbNEkqO",
  serverNonceSuffix: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

const rfcVerifier = () => {
  const v = parseScramVerifier(createScramVerifier("pencil", { iterations: 4096, salt: Buffer.from(RFC.salt, "base64") }));
  if (v === null) throw new Error("verifier did not parse");
  return v;
};

describe("SCRAM-SHA-256", () => {
  test("the server side reproduces RFC 7677's exchange", () => {
    const server = new ScramServerExchange(rfcVerifier(), Buffer.alloc(16), RFC.serverNonceSuffix);
    expect(server.start("SCRAM-SHA-256", RFC.clientFirst)).toBe(RFC.serverFirst);
    expect(server.finish(RFC.clientFinal)).toBe(RFC.serverFinal);
  });

  test("the client side reproduces RFC 7677's exchange", () => {
    const client = new ScramClientExchange("pencil", RFC.clientNonce, "user");
    expect(client.clientFirst()).toBe(RFC.clientFirst);
    expect(client.clientFinal(RFC.serverFirst)).toBe(RFC.clientFinal);
    expect(() => client.verifyServerFinal(RFC.serverFinal)).not.toThrow();
    expect(() => client.verifyServerFinal("v=AAAA")).toThrow(/server signature is wrong/);
  });

  test("client and server agree; a wrong password fails with kind auth", () => {
    const verifier = parseScramVerifier(createScramVerifier("right"));
    for (const [password, ok] of [
      ["right", true],
      ["wrong", false],
    ] as const) {
      const server = new ScramServerExchange(verifier, Buffer.alloc(16));
      const client = new ScramClientExchange(password);
      const serverFirst = server.start("SCRAM-SHA-256", client.clientFirst());
      const clientFinal = client.clientFinal(serverFirst);
      if (ok) client.verifyServerFinal(server.finish(clientFinal));
      else expect(() => server.finish(clientFinal)).toThrow(expect.objectContaining({ kind: "auth" }));
    }
  });

  test("an unknown user runs the whole exchange with a stable fake salt, then fails like a wrong password", () => {
    const salt = Buffer.from("0123456789abcdef");
    const a = new ScramServerExchange(null, salt).start("SCRAM-SHA-256", "n,,n=,r=abc");
    const b = new ScramServerExchange(null, salt).start("SCRAM-SHA-256", "n,,n=,r=abc");
    expect(a.split(",s=")[1]).toBe(b.split(",s=")[1]);
    const server = new ScramServerExchange(null, salt);
    const client = new ScramClientExchange("anything");
    const final = client.clientFinal(server.start("SCRAM-SHA-256", client.clientFirst()));
    expect(() => server.finish(final)).toThrow(expect.objectContaining({ kind: "auth" }));
  });

  test.each([
    ["SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc", /not supported|channel binding/],
    ["SCRAM-SHA-256", "p=tls-server-end-point,,n=,r=abc", /channel binding/],
    ["SCRAM-SHA-256", "n,a=admin,n=,r=abc", /authorization identities/],
    ["SCRAM-SHA-256", "x,,n=,r=abc", /channel-binding flag/],
    ["SCRAM-SHA-256", "n,,r=abc", /lacks n=/],
    ["SCRAM-SHA-256", "n,,n=,r=", /nonce/],
    ["SCRAM-SHA-256", "garbage", /malformed/],
    ["MD5", "n,,n=,r=abc", /not supported/],
  ])("refuses %s with %j as a protocol error", (mechanism, first, message) => {
    const server = new ScramServerExchange(rfcVerifier(), Buffer.alloc(16));
    let err: unknown;
    try {
      server.start(mechanism, first);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScramError);
    expect((err as ScramError).kind).toBe("protocol");
    expect((err as Error).message).toMatch(message);
  });

  test("a client-final with a tampered nonce or binding is a protocol error", () => {
    for (const tampered of [RFC.clientFinal.replace("r=rOpr", "r=XOpr"), RFC.clientFinal.replace("c=biws", "c=eSws")]) {
      const server = new ScramServerExchange(rfcVerifier(), Buffer.alloc(16), RFC.serverNonceSuffix);
      server.start("SCRAM-SHA-256", RFC.clientFirst);
      expect(() => server.finish(tampered)).toThrow(expect.objectContaining({ kind: "protocol" }));
    }
  });

  test("'y' (client could bind, thinks we cannot) is accepted", () => {
    const server = new ScramServerExchange(rfcVerifier(), Buffer.alloc(16));
    expect(server.start("SCRAM-SHA-256", "y,,n=,r=abc")).toMatch(/^r=abc/);
  });
});

describe("verifiers", () => {
  test("format is PostgreSQL's and round-trips", () => {
    const text = createScramVerifier("pw", { iterations: 4096 });
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const v = parseScramVerifier(text);
    expect(v?.iterations).toBe(4096);
    expect(v?.storedKey).toHaveLength(32);
  });

  test.each(["md5abc", "SCRAM-SHA-256$0:AA==$AA==:AA==", "SCRAM-SHA-256$4096:AA==$AA==:AA=="])("rejects %s", (text) => {
    expect(parseScramVerifier(text)).toBeNull();
  });

  test("SASLprep: ASCII unchanged, non-ASCII spaces mapped, soft hyphen dropped, NFKC applied, prohibited left raw", () => {
    expect(saslprep("plain pw")).toBe("plain pw");
    expect(saslprep("a\u00a0b")).toBe("a b");
    expect(saslprep("a\u00adb")).toBe("ab");
    expect(saslprep("\u2168")).toBe("IX");
    expect(saslprep("a\u0007b")).toBe("a\u0007b");
  });
});
