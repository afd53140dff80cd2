import { readFileSync } from 'node:fs';
import { createRPCError, createValidator, RPCError } from 'ocpp-rpc';

/** The official OCPP 1.6 JSON schemas, as shipped inside ocpp-rpc. */
const OCPP16_SCHEMAS = JSON.parse(readFileSync(require.resolve('ocpp-rpc/lib/schemas/ocpp1_6.json'), 'utf8')) as object;

const standard = createValidator('ocpp1.6', OCPP16_SCHEMAS);

/**
 * ocpp-rpc's own strict-mode validator for ocpp1.6, except for one answer: a
 * call whose action has no schema (not an OCPP 1.6 action) gets the
 * NotImplemented CALLERROR OCPP asks for, instead of ocpp-rpc's ProtocolError
 * about a missing schema.
 */
export const ocpp16Validator = {
  subprotocol: 'ocpp1.6',
  validate(schemaId: string, params: unknown): unknown {
    try {
      return standard.validate(schemaId, params);
    } catch (err) {
      if (err instanceof RPCError && err.rpcErrorCode === 'ProtocolError' && schemaId.endsWith('.req') && /is missing/.test(err.message)) {
        const action = schemaId.replace(/^urn:/, '').replace(/\.req$/, '');
        throw createRPCError('NotImplemented', `Unable to handle '${action}' calls`, {});
      }
      throw err;
    }
  },
} as unknown as ReturnType<typeof createValidator>;
