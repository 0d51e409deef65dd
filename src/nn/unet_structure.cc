#include "nn/unet_structure.h"

#include <algorithm>
#include <cmath>

namespace ddpm::nn {

UNetStructure UNetStructure::FromConfig(const UNet2DConfig& c) {
  UNetStructure s;
  s.config = c;
  s.time_embed_dim = c.time_embed_dim();
  const int n = int(c.block_out_channels.size());
  const int c0 = c.block_out_channels[0];
  const bool ss = c.scale_shift();
  auto head_dim = [&](int channels) { return c.attention_head_dim ? *c.attention_head_dim : channels; };
  auto resnet = [&](std::string name, int in, int out, double scale) {
    ResnetSpec r;
    r.name = std::move(name);
    r.in_channels = r.hidden_channels = in;
    r.out_channels = out;
    r.groups = c.norm_num_groups;
    r.eps = c.norm_eps;
    r.scale_shift = ss;
    r.output_scale_factor = float(scale);
    return r;
  };
  auto attention = [&](std::string name, int channels, int groups, double rescale) {
    return AttentionSpec{std::move(name), channels, head_dim(channels), groups, c.norm_eps, float(rescale)};
  };
  auto push = [&](int channels, int level) {
    s.skips.push_back({channels, level});
    return int(s.skips.size()) - 1;
  };

  s.conv_in = {"conv_in", ConvParams(c.in_channels, c0, 3, 1, 1)};
  push(c0, 0);

  // Down blocks: every resnet's (or its attention's) output and every downsampler's is a skip.
  int out = c0;
  for (int i = 0; i < n; ++i) {
    const int in = out;
    out = c.block_out_channels[i];
    BlockSpec b;
    b.name = "down_blocks." + std::to_string(i);
    b.level = i;
    const bool attn = c.down_block_types[i] == "AttnDownBlock2D";
    for (int j = 0; j < c.layers_per_block; ++j) {
      const std::string idx = std::to_string(j);
      b.resnets.push_back(resnet(b.name + ".resnets." + idx, j == 0 ? in : out, out, 1.0));
      if (attn) b.attentions.push_back(attention(b.name + ".attentions." + idx, out, c.norm_num_groups, 1.0));
      b.resnets.back().push_skip = push(out, i);
    }
    if (i != n - 1) {
      b.sampler = SamplerKind::kDown;
      kernels::Conv2dParams p = ConvParams(out, out, 3, 2, 1);
      if (c.downsample_padding == 0) p.pad_top = p.pad_left = 0;  // F.pad(x, (0, 1, 0, 1)), then padding 0
      b.sampler_name = b.name + ".downsamplers.0";
      b.sampler_conv = {b.sampler_name + ".conv", p};
      b.sampler_push_skip = push(out, i + 1);
    }
    s.blocks.push_back(std::move(b));
  }

  if (!c.mid_block_type.empty()) {
    const int ch = c.block_out_channels.back();
    BlockSpec b;
    b.name = "mid_block";
    b.level = n - 1;
    b.resnets.push_back(resnet("mid_block.resnets.0", ch, ch, c.mid_block_scale_factor));
    if (c.add_attention) {
      // UNetMidBlock2D: attn_groups = attn_norm_num_groups, else resnet_groups under "default" and no
      // group_norm at all under "scale_shift".
      const int groups = c.attn_norm_num_groups ? *c.attn_norm_num_groups : (ss ? 0 : c.norm_num_groups);
      b.attentions.push_back(attention("mid_block.attentions.0", ch, groups, c.mid_block_scale_factor));
    }
    b.resnets.push_back(resnet("mid_block.resnets.1", ch, ch, c.mid_block_scale_factor));
    s.blocks.push_back(std::move(b));
  }

  // Up blocks: layers_per_block + 1 resnets, each popping the last skip.
  int next_pop = int(s.skips.size());
  std::vector<int> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  out = rev[0];
  for (int i = 0; i < n; ++i) {
    const int prev = out;
    out = rev[i];
    BlockSpec b;
    b.name = "up_blocks." + std::to_string(i);
    b.level = n - 1 - i;
    const bool attn = c.up_block_types[i] == "AttnUpBlock2D";
    for (int j = 0; j <= c.layers_per_block; ++j) {
      const std::string idx = std::to_string(j);
      const int pop = --next_pop;
      const int hidden = j == 0 ? prev : out;
      ResnetSpec r = resnet(b.name + ".resnets." + idx, hidden + s.skips[pop].channels, out, 1.0);
      r.hidden_channels = hidden;
      r.pop_skip = pop;
      b.resnets.push_back(std::move(r));
      if (attn) b.attentions.push_back(attention(b.name + ".attentions." + idx, out, c.norm_num_groups, 1.0));
    }
    if (i != n - 1) {
      b.sampler = SamplerKind::kUp;
      b.sampler_name = b.name + ".upsamplers.0";
      b.sampler_conv = {b.sampler_name + ".conv", ConvParams(out, out, 3, 1, 1)};
    }
    s.blocks.push_back(std::move(b));
  }

  s.norm_out_channels = c0;
  s.norm_out_groups = c.norm_num_groups;
  s.norm_out_eps = c.norm_eps;
  s.conv_out = {"conv_out", ConvParams(c0, c.out_channels, 3, 1, 1)};
  return s;
}

Status UNetStructure::CheckInputs(const Shape& sample, const std::vector<float>& timesteps,
                                  const std::vector<int64_t>& class_labels) const {
  const UNet2DConfig& c = config;
  if (sample.size() != 4) {
    return InvalidArgument("sample must be NCHW (rank 4), got shape " + ShapeToString(sample));
  }
  const int64_t batch = sample[0];
  if (batch <= 0) return InvalidArgument("sample batch size must be positive");
  if (sample[1] != c.in_channels) {
    return InvalidArgument("sample has " + std::to_string(sample[1]) + " channels, the model expects in_channels = " +
                           std::to_string(c.in_channels));
  }
  const int64_t mult = int64_t(1) << (c.block_out_channels.size() - 1);
  for (int axis : {2, 3}) {
    if (sample[axis] <= 0 || sample[axis] % mult != 0 || sample[axis] > 65536) {
      return InvalidArgument(std::string("sample ") + (axis == 2 ? "height " : "width ") +
                             std::to_string(sample[axis]) + " must be a positive multiple of " +
                             std::to_string(mult) + " (the UNet halves it " +
                             std::to_string(c.block_out_channels.size() - 1) + " times)");
    }
  }
  if (timesteps.size() != 1 && int64_t(timesteps.size()) != batch) {
    return InvalidArgument("got " + std::to_string(timesteps.size()) + " timesteps for a batch of " +
                           std::to_string(batch) + " (need 1 or " + std::to_string(batch) + ")");
  }
  for (float t : timesteps) {
    if (!std::isfinite(t)) return InvalidArgument("timestep is not finite");
  }
  if (!c.num_class_embeds) {
    if (!class_labels.empty()) {
      return InvalidArgument("class_labels given, but the model has no class embedding (num_class_embeds is null)");
    }
    return Status::Ok();
  }
  if (class_labels.empty()) {
    return InvalidArgument("class_labels are required: the model has num_class_embeds = " +
                           std::to_string(*c.num_class_embeds));
  }
  if (class_labels.size() != 1 && int64_t(class_labels.size()) != batch) {
    return InvalidArgument("got " + std::to_string(class_labels.size()) + " class labels for a batch of " +
                           std::to_string(batch));
  }
  for (int64_t l : class_labels) {
    if (l < 0 || l >= *c.num_class_embeds) {
      return InvalidArgument("class label " + std::to_string(l) + " is out of range [0, " +
                             std::to_string(*c.num_class_embeds) + ")");
    }
  }
  return Status::Ok();
}

double UNetStructure::ForwardFlopsPerImage(int height, int width) const {
  double flops = 0;
  auto conv = [&](const kernels::Conv2dParams& p, int level) {
    const Dims o = ConvOutDims(p, LevelDims(height, width, level));
    flops += 2.0 * o.hw() * p.cout * p.cin * p.kh * p.kw;
  };
  conv(conv_in.params, 0);
  for (const BlockSpec& b : blocks) {
    const double t = LevelDims(height, width, b.level).hw();
    for (const ResnetSpec& r : b.resnets) {
      conv(r.conv1_params(), b.level);
      conv(r.conv2_params(), b.level);
      if (r.has_shortcut()) conv(r.shortcut_params(), b.level);
      flops += 2.0 * time_embed_dim * r.time_emb_proj_out();
    }
    for (const AttentionSpec& a : b.attentions) {
      flops += 2.0 * t * a.channels * 4 * a.channels;  // to_q, to_k, to_v, to_out
      flops += 4.0 * t * t * a.channels;               // q·kᵀ and p·v
    }
    if (b.sampler != SamplerKind::kNone) conv(b.sampler_conv.params, b.sampler_conv_level());
  }
  conv(conv_out.params, 0);
  const int c0 = config.block_out_channels[0];
  flops += 2.0 * (double(c0) * time_embed_dim + double(time_embed_dim) * time_embed_dim);  // time_embedding
  return flops;
}

int UNetStructure::widest_channels() const {
  return *std::max_element(config.block_out_channels.begin(), config.block_out_channels.end());
}

}  // namespace ddpm::nn
