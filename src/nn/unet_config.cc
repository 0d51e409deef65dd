#include "nn/unet_config.h"

namespace ddpm::nn {

namespace {

Status GetOptionalInt(const JsonConfig& j, const std::string& key, std::optional<int>* out) {
  std::optional<int64_t> v = *out;
  DDPM_RETURN_IF_ERROR(j.GetOptionalInt(key, &v));
  if (v && (*v < INT32_MIN || *v > INT32_MAX)) return j.Error(key, "is out of range");
  *out = v ? std::optional<int>(int(*v)) : std::nullopt;
  return Status::Ok();
}

Status GetIntList(const JsonConfig& j, const std::string& key, std::vector<int>* out) {
  std::vector<int64_t> v(out->begin(), out->end());
  DDPM_RETURN_IF_ERROR(j.GetIntList(key, &v));
  out->assign(v.begin(), v.end());
  return Status::Ok();
}

// Keys diffusers accepts whose non-default values this engine does not implement.
Status RequireNullOrValue(const JsonConfig& j, const std::string& key, const std::string& only) {
  if (!j.Has(key)) return Status::Ok();
  std::string v;
  if (!j.GetString(key, &v).ok() || v != only) {
    return Unsupported(j.source() + ": key '" + key + "' value " + j.raw()[key].dump() +
                       " is not supported (only " + (only.empty() ? "null" : "'" + only + "'") + ")");
  }
  return Status::Ok();
}

}  // namespace

Expected<UNet2DConfig> UNet2DConfig::FromJson(const JsonConfig& j) {
  UNet2DConfig c;
  std::string class_name;
  DDPM_RETURN_IF_ERROR(j.GetString("_class_name", &class_name));
  if (!class_name.empty() && class_name != "UNet2DModel") {
    return j.Error("_class_name", "is '" + class_name + "'; only UNet2DModel is supported");
  }
  if (j.Has("sample_size")) {
    const auto& v = j.raw()["sample_size"];
    if (v.is_array()) {
      std::vector<int> hw;
      DDPM_RETURN_IF_ERROR(GetIntList(j, "sample_size", &hw));
      if (hw.size() != 2 || hw[0] <= 0 || hw[1] <= 0) return j.Error("sample_size", "must be an int or [h, w]");
      c.sample_height = hw[0];
      c.sample_width = hw[1];
    } else {
      int s = 0;
      DDPM_RETURN_IF_ERROR(j.GetInt("sample_size", &s));
      if (s <= 0) return j.Error("sample_size", "must be positive");
      c.sample_size = s;
      c.sample_height = c.sample_width = s;
    }
  }
  DDPM_RETURN_IF_ERROR(j.GetInt("in_channels", &c.in_channels));
  DDPM_RETURN_IF_ERROR(j.GetInt("out_channels", &c.out_channels));
  DDPM_RETURN_IF_ERROR(j.GetBool("center_input_sample", &c.center_input_sample));
  DDPM_RETURN_IF_ERROR(j.GetEnum("time_embedding_type", {"positional"}, &c.time_embedding_type));
  DDPM_RETURN_IF_ERROR(GetOptionalInt(j, "time_embedding_dim", &c.time_embedding_dim));
  DDPM_RETURN_IF_ERROR(j.GetInt("freq_shift", &c.freq_shift));
  DDPM_RETURN_IF_ERROR(j.GetBool("flip_sin_to_cos", &c.flip_sin_to_cos));
  DDPM_RETURN_IF_ERROR(j.GetStringList("down_block_types", &c.down_block_types));
  DDPM_RETURN_IF_ERROR(j.GetStringList("up_block_types", &c.up_block_types));
  if (j.raw().contains("mid_block_type") && j.raw()["mid_block_type"].is_null()) {
    c.mid_block_type.clear();
  } else {
    DDPM_RETURN_IF_ERROR(j.GetEnum("mid_block_type", {"UNetMidBlock2D"}, &c.mid_block_type));
  }
  DDPM_RETURN_IF_ERROR(GetIntList(j, "block_out_channels", &c.block_out_channels));
  DDPM_RETURN_IF_ERROR(j.GetInt("layers_per_block", &c.layers_per_block));
  DDPM_RETURN_IF_ERROR(j.GetDouble("mid_block_scale_factor", &c.mid_block_scale_factor));
  DDPM_RETURN_IF_ERROR(j.GetInt("downsample_padding", &c.downsample_padding));
  DDPM_RETURN_IF_ERROR(j.GetEnum("downsample_type", {"conv"}, &c.downsample_type));
  DDPM_RETURN_IF_ERROR(j.GetEnum("upsample_type", {"conv"}, &c.upsample_type));
  DDPM_RETURN_IF_ERROR(j.GetDouble("dropout", &c.dropout));
  DDPM_RETURN_IF_ERROR(j.GetEnum("act_fn", {"silu", "swish"}, &c.act_fn));
  DDPM_RETURN_IF_ERROR(GetOptionalInt(j, "attention_head_dim", &c.attention_head_dim));
  if (j.raw().contains("norm_num_groups") && j.raw()["norm_num_groups"].is_null()) {
    return Unsupported(j.source() + ": key 'norm_num_groups' null is not supported");
  }
  DDPM_RETURN_IF_ERROR(j.GetInt("norm_num_groups", &c.norm_num_groups));
  DDPM_RETURN_IF_ERROR(GetOptionalInt(j, "attn_norm_num_groups", &c.attn_norm_num_groups));
  DDPM_RETURN_IF_ERROR(j.GetDouble("norm_eps", &c.norm_eps));
  DDPM_RETURN_IF_ERROR(j.GetEnum("resnet_time_scale_shift", {"default", "scale_shift"}, &c.resnet_time_scale_shift));
  DDPM_RETURN_IF_ERROR(j.GetBool("add_attention", &c.add_attention));
  DDPM_RETURN_IF_ERROR(RequireNullOrValue(j, "class_embed_type", ""));
  DDPM_RETURN_IF_ERROR(GetOptionalInt(j, "num_class_embeds", &c.num_class_embeds));
  DDPM_RETURN_IF_ERROR(GetOptionalInt(j, "null_class_index", &c.null_class_index));

  // Structural checks, each naming the key.
  const size_t n = c.block_out_channels.size();
  if (n == 0) return j.Error("block_out_channels", "must not be empty");
  for (int ch : c.block_out_channels) {
    if (ch <= 0 || ch % c.norm_num_groups != 0) {
      return j.Error("block_out_channels", "entries must be positive multiples of norm_num_groups (" +
                                               std::to_string(c.norm_num_groups) + "), got " +
                                               std::to_string(ch));
    }
  }
  if (c.block_out_channels[0] % 2 != 0) return j.Error("block_out_channels", "first entry must be even");
  if (c.down_block_types.size() != n) return j.Error("down_block_types", "must have one entry per block_out_channels");
  if (c.up_block_types.size() != n) return j.Error("up_block_types", "must have one entry per block_out_channels");
  for (const auto& t : c.down_block_types) {
    if (t != "DownBlock2D" && t != "AttnDownBlock2D") {
      return j.Error("down_block_types", "entry '" + t + "' is not supported (DownBlock2D, AttnDownBlock2D)");
    }
  }
  for (const auto& t : c.up_block_types) {
    if (t != "UpBlock2D" && t != "AttnUpBlock2D") {
      return j.Error("up_block_types", "entry '" + t + "' is not supported (UpBlock2D, AttnUpBlock2D)");
    }
  }
  if (c.in_channels <= 0) return j.Error("in_channels", "must be positive");
  if (c.out_channels <= 0) return j.Error("out_channels", "must be positive");
  if (c.layers_per_block <= 0) return j.Error("layers_per_block", "must be positive");
  if (c.norm_num_groups <= 0) return j.Error("norm_num_groups", "must be positive");
  if (!(c.norm_eps > 0)) return j.Error("norm_eps", "must be positive");
  if (c.downsample_padding != 0 && c.downsample_padding != 1) return j.Error("downsample_padding", "must be 0 or 1");
  if (c.mid_block_scale_factor == 0) return j.Error("mid_block_scale_factor", "must not be 0");
  if (c.time_embedding_dim && *c.time_embedding_dim <= 0) return j.Error("time_embedding_dim", "must be positive");
  if (c.num_class_embeds && *c.num_class_embeds <= 0) return j.Error("num_class_embeds", "must be positive");
  if (c.null_class_index &&
      (*c.null_class_index < 0 || *c.null_class_index >= c.num_class_embeds.value_or(0))) {
    return j.Error("null_class_index", "must be in [0, num_class_embeds = " +
                                           std::to_string(c.num_class_embeds.value_or(0)) + ")");
  }
  if (2 * c.freq_shift == c.block_out_channels[0]) return j.Error("freq_shift", "must differ from half the embedding size");
  if (c.attention_head_dim) {
    if (*c.attention_head_dim <= 0) return j.Error("attention_head_dim", "must be positive or null");
    for (size_t i = 0; i < n; ++i) {
      const bool attn = c.down_block_types[i] == "AttnDownBlock2D" || c.up_block_types[n - 1 - i] == "AttnUpBlock2D" ||
                        (i == n - 1 && c.add_attention && !c.mid_block_type.empty());
      if (attn && c.block_out_channels[i] % *c.attention_head_dim != 0) {
        return j.Error("attention_head_dim", "(" + std::to_string(*c.attention_head_dim) +
                                                 ") must divide the channels of every attention layer (" +
                                                 std::to_string(c.block_out_channels[i]) + ")");
      }
    }
  }
  if (c.attn_norm_num_groups &&
      (*c.attn_norm_num_groups <= 0 || c.block_out_channels.back() % *c.attn_norm_num_groups != 0)) {
    return j.Error("attn_norm_num_groups", "must divide the last block's channels");
  }
  return c;
}

nlohmann::json UNet2DConfig::ToJson() const {
  nlohmann::json j;
  j["_class_name"] = "UNet2DModel";
  j["_diffusers_version"] = "0.31.0";
  j["act_fn"] = act_fn;
  j["add_attention"] = add_attention;
  j["attention_head_dim"] = attention_head_dim ? nlohmann::json(*attention_head_dim) : nlohmann::json(nullptr);
  j["attn_norm_num_groups"] = attn_norm_num_groups ? nlohmann::json(*attn_norm_num_groups) : nlohmann::json(nullptr);
  j["block_out_channels"] = block_out_channels;
  j["center_input_sample"] = center_input_sample;
  j["class_embed_type"] = nullptr;
  j["down_block_types"] = down_block_types;
  j["downsample_padding"] = downsample_padding;
  j["downsample_type"] = downsample_type;
  j["dropout"] = dropout;
  j["flip_sin_to_cos"] = flip_sin_to_cos;
  j["freq_shift"] = freq_shift;
  j["in_channels"] = in_channels;
  j["layers_per_block"] = layers_per_block;
  j["mid_block_scale_factor"] = mid_block_scale_factor;
  j["mid_block_type"] = mid_block_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(mid_block_type);
  j["norm_eps"] = norm_eps;
  j["norm_num_groups"] = norm_num_groups;
  j["num_class_embeds"] = num_class_embeds ? nlohmann::json(*num_class_embeds) : nlohmann::json(nullptr);
  if (null_class_index) j["null_class_index"] = *null_class_index;
  j["num_train_timesteps"] = nullptr;
  j["out_channels"] = out_channels;
  j["resnet_time_scale_shift"] = resnet_time_scale_shift;
  if (sample_size) j["sample_size"] = *sample_size;
  else if (sample_height > 0) j["sample_size"] = {sample_height, sample_width};
  else j["sample_size"] = nullptr;
  j["time_embedding_dim"] = time_embedding_dim ? nlohmann::json(*time_embedding_dim) : nlohmann::json(nullptr);
  j["time_embedding_type"] = time_embedding_type;
  j["up_block_types"] = up_block_types;
  j["upsample_type"] = upsample_type;
  return j;
}

}  // namespace ddpm::nn
