// Reading config files: YAML (any extension but .json) or JSON, bounded in
// size, parse errors reported with the file and the line.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { fillChannelConfig, type ChannelConfig } from './channelConfig.js';
import { ConfigFileError } from './errors.js';
import { fillNodeConfig, type NodeConfig } from './nodeConfig.js';

export const CONFIG_FILE_BYTES_MAX = 1024 * 1024;

/** Loads, validates and fills a node config file (and the channel files it names). */
export function loadNodeConfig(file: string): NodeConfig {
  const absolute = path.resolve(file);
  return fillNodeConfig(readConfigFile(absolute), path.dirname(absolute), absolute, readConfigFile);
}

/** Loads, validates and fills a standalone channel config file. */
export function loadChannelConfig(file: string): ChannelConfig {
  const absolute = path.resolve(file);
  return fillChannelConfig(readConfigFile(absolute), '', path.dirname(absolute));
}

/** The parsed content of a YAML or JSON file (untyped: the fill functions validate it). */
export function readConfigFile(file: string): unknown {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new ConfigFileError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  if (size > CONFIG_FILE_BYTES_MAX) throw new ConfigFileError(file, `is ${size} bytes; a config file must be at most ${CONFIG_FILE_BYTES_MAX} bytes`);
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigFileError(file, `is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    // YAML 1.2 core schema: "yes"/"no" stay strings; duplicate keys are errors.
    return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) as unknown;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0];
      throw new ConfigFileError(file, `is not valid YAML${line ? ` (line ${line.line}, column ${line.col})` : ''}: ${error.message.split('\n')[0]}`, {
        cause: error,
      });
    }
    throw error;
  }
}
