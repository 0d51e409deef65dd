#include "train_app/loss_log.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "io/canvas.h"
#include "io/file_util.h"
#include "io/png.h"

namespace ddpm {

Status LossLog::Load(const std::string& path, int64_t up_to_step) {
  std::ifstream in(path);
  if (!in) return Status::Ok();
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    long long s;
    double l, g, r;
    char c1, c2, c3;
    if (!(ss >> s >> c1 >> l >> c2 >> g >> c3 >> r)) return ParseError(path + ": malformed line '" + line + "'");
    if (s > up_to_step) break;
    step.push_back(s);
    loss.push_back(l);
    grad_norm.push_back(g);
    lr.push_back(r);
  }
  return Status::Ok();
}

Status LossLog::Save(const std::string& dir) const {
  std::ostringstream out;
  out << "step,loss,grad_norm,lr\n";
  out.precision(9);
  for (size_t i = 0; i < step.size(); ++i) out << step[i] << ',' << loss[i] << ',' << grad_norm[i] << ',' << lr[i] << '\n';
  const std::string text = out.str();
  DDPM_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "loss.csv"), text.data(), text.size()));
  return WritePlot(dir);
}

Status LossLog::WritePlot(const std::string& dir) const {
  // The curve of a running mean (window 1% of the run) reads better than raw per-batch losses.
  std::vector<double> xs, smooth;
  const size_t window = std::max<size_t>(1, step.size() / 100);
  double sum = 0;
  for (size_t i = 0; i < loss.size(); ++i) {
    sum += loss[i];
    if (i >= window) sum -= loss[i - window];
    if (i + 1 >= window) {
      xs.push_back(double(step[i]));
      smooth.push_back(sum / double(window));
    }
  }
  PlotLabels labels{"training loss", "step", "loss"};
  if (window > 1) labels.title += ", running mean of " + std::to_string(window) + " steps";
  return WritePng(JoinPath(dir, "loss.png"), PlotCurve(xs, smooth, labels, 640, 400, /*log_y=*/true));
}

}  // namespace ddpm
