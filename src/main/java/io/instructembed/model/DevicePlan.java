package io.instructembed.model;

import io.instructembed.settings.DeviceRequest;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.common.settings.Settings;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The device each pack asks for: the node's {@code instruct_embed.device}, or the pack's override. */
public record DevicePlan(DeviceRequest defaultRequest, Map<String, DeviceRequest> overrides) {

    public static DevicePlan from(Settings settings) {
        return of(InstructEmbedSettings.DEVICE.get(settings), InstructEmbedSettings.DEVICE_OVERRIDES.get(settings));
    }

    public static DevicePlan of(String device, List<String> overrideEntries) {
        Map<String, DeviceRequest> overrides = new HashMap<>();
        for (String entry : overrideEntries) {
            int at = entry.indexOf('=');
            overrides.put(entry.substring(0, at).trim(), DeviceRequest.parse(entry.substring(at + 1)));
        }
        return new DevicePlan(DeviceRequest.parse(device), Map.copyOf(overrides));
    }

    public DeviceRequest forPack(String packId) {
        return overrides.getOrDefault(packId, defaultRequest);
    }
}
