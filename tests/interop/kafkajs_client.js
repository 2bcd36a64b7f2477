#!/usr/bin/env node
// KafkaJS (npm, pinned in package-lock.json), a client no one here wrote, for the interop tests.
//
//   consume BOOTSTRAP TOPIC COUNT     prints COUNT records, one per line:
//                                     partition TAB offset TAB key TAB value TAB name=value,... (headers)
//   produce BOOTSTRAP TOPIC headers|bare KEY...
//                                     sends {"n":i} keyed KEY (KafkaJS 2's DefaultPartitioner: murmur2,
//                                     as the Java client), with the dimona.* headers or without;
//                                     prints key TAB partition TAB offset per record
//   lines BOOTSTRAP TOPIC FILE        sends each line of FILE as one headerless record keyed by the
//                                     first SSIN in it (KafkaJS's DefaultPartitioner places it), a
//                                     line without one to partition 0 (an input topic, docs/kafka.md
//                                     "Input topic"); prints the count sent
// The ledger's records are LZ4-compressed; KafkaJS decodes only GZIP by itself, so LZ4 is
// registered here with lz4js (pure JavaScript, the LZ4 frame format Kafka uses).
'use strict'
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs')
const lz4js = require('lz4js')

CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) {
    return Buffer.from(lz4js.compress(encoder.buffer))
  },
  async decompress(buffer) {
    return Buffer.from(lz4js.decompress(buffer))
  },
})

const TIMEOUT_MS = 20000

function client(bootstrap) {
  return new Kafka({ clientId: 'dimona-interop-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 5 } })
}

const text = (b) => (b === null || b === undefined ? '' : b.toString('utf8'))

async function consume(bootstrap, topic, count) {
  const kafka = client(bootstrap)
  const consumer = kafka.consumer({ groupId: 'dimona-interop-kafkajs-' + process.pid })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const lines = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`KafkaJS: read ${lines.length} records of ${count}`)), TIMEOUT_MS)
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const headers = Object.entries(message.headers || {}).map(([name, value]) => `${name}=${text(value)}`)
        lines.push([partition, message.offset, text(message.key), text(message.value), headers.join(',')].join('\t'))
        if (lines.length === count) {
          clearTimeout(timer)
          resolve()
        }
      },
    }).catch(reject)
  })
  await consumer.disconnect()
  process.stdout.write(lines.map((l) => l + '\n').join(''))
}

async function produce(bootstrap, topic, mode, keys) {
  const producer = client(bootstrap).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  for (let i = 0; i < keys.length; ++i) {
    const headers = mode === 'headers'
      ? {
          'dimona.eventId': `js-${i}`,
          'dimona.eventType': 'DeclarationAccepted',
          'dimona.schemaVersion': '2',
          'dimona.recordedAt': String(1750000000000000 + i),
          'dimona.source': `kafkajs:${i}`,
        }
      : undefined
    const [meta] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: keys[i], value: JSON.stringify({ n: i }), headers, timestamp: String(1750000000000) }],
    })
    process.stdout.write(`${keys[i]}\t${meta.partition}\t${meta.baseOffset}\n`)
  }
  await producer.disconnect()
}

async function lines(bootstrap, topic, path) {
  const fs = require('fs')
  const producer = client(bootstrap).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const messages = fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((value) => {
    const ssin = /"ssin":"(\d{11})"/.exec(value)
    return ssin ? { key: ssin[1], value } : { partition: 0, value }
  })
  for (let i = 0; i < messages.length; i += 500) {  // in order: one batch at a time, acknowledged
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) })
  }
  await producer.disconnect()
  process.stdout.write(`${messages.length}\n`)
}

async function main(argv) {
  if (argv.length === 4 && argv[0] === 'lines') return lines(argv[1], argv[2], argv[3])
  if (argv.length === 4 && argv[0] === 'consume') return consume(argv[1], argv[2], Number(argv[3]))
  if (argv.length >= 4 && argv[0] === 'produce' && (argv[3] === 'headers' || argv[3] === 'bare')) {
    return produce(argv[1], argv[2], argv[3], argv.slice(4))
  }
  throw new Error('usage: kafkajs_client.js consume BOOTSTRAP TOPIC COUNT | produce BOOTSTRAP TOPIC headers|bare KEY...')
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`kafkajs_client: ${e.message}\n`)
    process.exit(1)
  },
)
