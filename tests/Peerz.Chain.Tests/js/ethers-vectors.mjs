// Reference outputs from ethers v6 for inputs chosen by the C# tests.
// Reads one JSON request on stdin, writes one JSON answer on stdout. Every section is optional.
import {
  AbiCoder, Signature, SigningKey, Transaction, TypedDataEncoder, Wallet,
  computeAddress, encodeRlp, encryptKeystoreJsonSync, getAddress, keccak256,
} from "ethers";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const coder = AbiCoder.defaultAbiCoder();

// Turns the C# JSON form of ABI values (integers as decimal strings) into ethers values.
function abiValue(type, value) {
  if (type.endsWith("]")) {
    const inner = type.slice(0, type.lastIndexOf("["));
    return value.map((v) => abiValue(inner, v));
  }
  if (type.startsWith("(")) {
    const parts = splitTuple(type.slice(1, -1));
    return value.map((v, i) => abiValue(parts[i], v));
  }
  if (/^u?int/.test(type)) return BigInt(value);
  return value;
}

function splitTuple(body) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "(") depth++;
    else if (body[i] === ")") depth--;
    else if (body[i] === "," && depth === 0) { parts.push(body.slice(start, i)); start = i + 1; }
  }
  if (body.length > 0) parts.push(body.slice(start));
  return parts;
}

function txFields(t) {
  return {
    type: t.type, chainId: BigInt(t.chainId), nonce: Number(t.nonce), gasLimit: BigInt(t.gasLimit),
    to: t.to, value: BigInt(t.value), data: t.data,
    ...(t.type === 0 ? { gasPrice: BigInt(t.gasPrice) } : {
      maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas), maxFeePerGas: BigInt(t.maxFeePerGas), accessList: [],
    }),
  };
}

const answer = {};
answer.keccak = (request.keccak ?? []).map((h) => keccak256(h));
answer.signatures = (request.signatures ?? []).map(({ key, hash }) => {
  const sig = new SigningKey(key).sign(hash);
  return { address: computeAddress(key), signature: Signature.from(sig).serialized };
});
answer.checksums = (request.checksums ?? []).map((a) => getAddress(a));
answer.rlp = (request.rlp ?? []).map((item) => encodeRlp(item));
answer.transactions = (request.transactions ?? []).map((t) => {
  const tx = Transaction.from(txFields(t));
  tx.signature = new SigningKey(t.key).sign(tx.unsignedHash);
  return { raw: tx.serialized, hash: tx.hash, unsignedHash: tx.unsignedHash };
});
answer.abi = (request.abi ?? []).map(({ types, values }) =>
  coder.encode(types, values.map((v, i) => abiValue(types[i], v))));
answer.typedData = (request.typedData ?? []).map(({ domain, types, message }) =>
  TypedDataEncoder.hash(domain, types, message));
answer.keystores = (request.keystores ?? []).map(({ key, password }) =>
  encryptKeystoreJsonSync({ address: new Wallet(key).address, privateKey: key }, password, { scrypt: { N: 1024 } }));
// EpochRewards leaves: keccak256(bytes.concat(keccak256(abi.encode(account, role, amount)))).
answer.rewardLeaves = (request.rewardLeaves ?? []).map(({ account, role, amount }) =>
  keccak256(keccak256(coder.encode(["address", "uint8", "uint256"], [account, role, BigInt(amount)]))));
process.stdout.write(JSON.stringify(answer));
