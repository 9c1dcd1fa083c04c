import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('RATE_LIMIT_PER_MINUTE, CLIENT_MAX_IN_FLIGHT, CORS_ORIGINS', () => {
  it('default to no rate limit, a quarter of the worker queue per client, and no CORS', () => {
    expect(loadConfig({}).abuse).toEqual({ ratePerMinute: 0, clientMaxInFlight: 16, corsOrigins: [] });
    expect(loadConfig({ WORKER_QUEUE_MAX: '4' }).abuse.clientMaxInFlight).toBe(2);
    expect(loadConfig({ WORKER_QUEUE_MAX: '200' }).abuse.clientMaxInFlight).toBe(50);
  });

  it('read what is set', () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '60', CLIENT_MAX_IN_FLIGHT: '3', CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).abuse).toEqual({
      ratePerMinute: 60,
      clientMaxInFlight: 3,
      corsOrigins: ['https://a.example', 'http://localhost:5173'],
    });
  });

  it.each([
    ['RATE_LIMIT_PER_MINUTE', '-1', /RATE_LIMIT_PER_MINUTE must be an integer from 0/],
    ['CLIENT_MAX_IN_FLIGHT', '0', /CLIENT_MAX_IN_FLIGHT must be an integer from 1/],
    ['CORS_ORIGINS', '*', /CORS_ORIGINS must be a comma-separated list of origins/],
    ['CORS_ORIGINS', 'https://a.example/path', /no path/],
    ['CORS_ORIGINS', 'ftp://a.example', /origins such as https:\/\/example.org/],
  ])('refuse %s=%s, naming the rule', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
