import { expect, test } from "vitest";
import { Frontend } from "../pg/protocol";
import { raiseErrorSql, rewriteBind, rewriteParse, serverStatementName } from "./statements";

test("server statement names depend on text and parameter types only", () => {
  const a = serverStatementName(Buffer.from("select $1\0\0\x01\0\0\0\x17"));
  expect(a).toMatch(/^dbm_[0-9a-f]{24}$/);
  expect(serverStatementName(Buffer.from("select $1\0\0\x01\0\0\0\x17"))).toBe(a);
  expect(serverStatementName(Buffer.from("select $1\0\0\x01\0\0\0\x19"))).not.toBe(a);
});

test("rewritten Parse and Bind are well-formed messages", () => {
  const parse = rewriteParse("dbm_x", Buffer.from("select 1\0\0\0"));
  expect(parse[0]).toBe(Frontend.Parse);
  expect(parse.readInt32BE(1)).toBe(parse.length - 1);
  expect(parse.subarray(5).toString("latin1")).toBe("dbm_x\0select 1\0\0\0");
  const bind = rewriteBind(Buffer.from("portal\0"), "dbm_y", Buffer.from("\0\0\0\0\0\0"));
  expect(bind.readInt32BE(1)).toBe(bind.length - 1);
  expect(bind.subarray(5).toString("latin1")).toBe("portal\0dbm_y\0\0\0\0\0\0\0");
});

test("the refusal SQL quotes the message and cannot be broken out of", () => {
  expect(raiseErrorSql("42501", "rule \"x\" of 'vdb'")).toBe(
    "DO $dbmesh$BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'rule \"x\" of ''vdb'''; END$dbmesh$",
  );
  expect(raiseErrorSql("42501", "a$dbmesh$b")).toContain("MESSAGE = 'ab'");
});
