import { describe, expect, test } from "vitest";
import { ScramClientExchange } from "./scram-client";
import { ScramServerExchange } from "./scram-server";
import { createScramVerifier, parseScramVerifier } from "./scram-verifier";

// A rotation grace: the new verifier shares the old one's salt and iterations, so one server-first-message
// serves both passwords, and the proof is checked against either StoredKey.

describe("SCRAM with a rotation grace", () => {
  const salt = Buffer.from("fedcba9876543210");
  const current = parseScramVerifier(createScramVerifier("new-password", { salt }))!;
  const previous = parseScramVerifier(createScramVerifier("old-password", { salt }))!;

  const exchange = (password: string, alternates: { storedKey: Buffer; serverKey: Buffer }[]) => {
    const server = new ScramServerExchange(current, Buffer.alloc(16)).acceptAlso(alternates);
    const client = new ScramClientExchange(password);
    const clientFinal = client.clientFinal(server.start("SCRAM-SHA-256", client.clientFirst()));
    return { server, client, clientFinal };
  };

  test.each([
    ["new-password", true, true],
    ["old-password", true, true],
    ["old-password", false, false],
    ["other", true, false],
  ])("%s with the grace %s → accepted %s, and the client verifies the server's signature", (password, grace, ok) => {
    const { server, client, clientFinal } = exchange(password, grace ? [previous] : []);
    if (ok) expect(() => client.verifyServerFinal(server.finish(clientFinal))).not.toThrow();
    else expect(() => server.finish(clientFinal)).toThrow(expect.objectContaining({ kind: "auth" }));
  });

  test("an unknown user stays refused even with alternates", () => {
    const server = new ScramServerExchange(null, salt).acceptAlso([previous]);
    const client = new ScramClientExchange("old-password");
    const clientFinal = client.clientFinal(server.start("SCRAM-SHA-256", client.clientFirst()));
    expect(() => server.finish(clientFinal)).toThrow(expect.objectContaining({ kind: "auth" }));
  });
});
