/** earshot's version (status API, metrics, MQTT discovery `origin.sw_version`). */
export const VERSION = "0.1.0";
