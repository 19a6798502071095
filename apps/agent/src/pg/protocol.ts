// PostgreSQL v3 wire-protocol constants the agent needs. Message types are compared as byte values on the hot
// path, so they are numbers here, not one-character strings.

/** Protocol 3.0 in a StartupMessage: major 3 in the high 16 bits. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET_BYTES = 10_000;

/** Frontend (client → server) message types. */
export const Frontend = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
  /** SASLInitialResponse, SASLResponse and PasswordMessage share 'p'. */
  Password: 0x70, // p
} as const;

/** Backend (server → client) message types. */
export const Backend = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyBothResponse: 0x57, // W
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  NegotiateProtocolVersion: 0x76, // v
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
} as const;

/** ReadyForQuery transaction status bytes. */
export const TxStatus = {
  Idle: 0x49, // I
  InTransaction: 0x54, // T
  Failed: 0x45, // E
} as const;
export type TxStatusByte = (typeof TxStatus)[keyof typeof TxStatus];

export const AuthCode = {
  Ok: 0,
  CleartextPassword: 3,
  MD5Password: 5,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** SQLSTATEs the agent raises itself. */
export const SqlState = {
  ProtocolViolation: "08P01",
  ConnectionFailure: "08006",
  InvalidPassword: "28P01",
  InvalidAuthorizationSpecification: "28000",
  InvalidCatalogName: "3D000",
  InsufficientPrivilege: "42501",
  DuplicatePreparedStatement: "42P05",
  InvalidSqlStatementName: "26000",
  TooManyConnections: "53300",
  ConfigurationLimitExceeded: "53400",
  AdminShutdown: "57P01",
  FeatureNotSupported: "0A000",
  QueryCanceled: "57014",
  InternalError: "XX000",
} as const;
